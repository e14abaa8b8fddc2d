// `login` and `logout` as the daemon does them for `berth login` (Docker's CLI asks its daemon the
// same way, POST /auth): the credentials are tried against the registry's /v2/ with a trial config
// file, and only kept (in the daemon's ~/.docker/config.json, which its pulls read) when they work.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PermissionDeniedError } from '../../specs/errdefs.ts';
import { parseReference } from '../images/reference.ts';
import { writeCredentials, type Credentials } from './auth.ts';
import { RegistryClient } from './client.ts';

/** The registry's domain as references name it ("docker.io" for Docker Hub and its aliases). */
export function registryDomain(registry: string): string {
  return parseReference(`${registry}/probe`).domain;
}

export async function login(registry: string, creds: Credentials, o: { insecure?: string[]; certsDir?: string } = {}): Promise<{ domain: string }> {
  const domain = registryDomain(registry);
  const dir = await mkdtemp(join(tmpdir(), 'berth-login-'));
  const trial = join(dir, 'config.json');
  const client = new RegistryClient({ configPath: trial, ...(o.insecure ? { insecure: o.insecure } : {}), ...(o.certsDir ? { certsDir: o.certsDir } : {}) });
  try {
    writeCredentials(domain, creds, trial);
    const res = await client.request(parseReference(`${registry}/probe`), 'GET', '/v2/');
    await res.body?.cancel();
    if (!res.ok) throw new PermissionDeniedError(`login to ${domain} failed (${res.status}); check the user name and password`);
  } finally {
    client.close();
    await rm(dir, { recursive: true, force: true });
  }
  writeCredentials(domain, creds);
  return { domain };
}

/** Forgets the registry's credentials; says whether there were any. */
export function logout(registry: string): { domain: string; removed: boolean } {
  const domain = registryDomain(registry);
  return { domain, removed: writeCredentials(domain, undefined) };
}
