// `login` and `logout` as the daemon does them for `berth login` (Docker's CLI asks its daemon the
// same way, POST /auth): the credentials are tried against the registry's /v2/ with a trial config
// file, and only kept when they work: in the credential helper the daemon's ~/.docker/config.json
// names for the registry (credHelpers, credsStore), else in that file (docker-config.ts).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PermissionDeniedError } from '../../specs/errdefs.ts';
import { parseReference } from '../images/reference.ts';
import { eraseCredentials, storeCredentials, type Credentials } from './docker-config.ts';
import { RegistryClient } from './client.ts';

/** The registry's domain as references name it ("docker.io" for Docker Hub and its aliases). */
export function registryDomain(registry: string): string {
  return parseReference(`${registry}/probe`).domain;
}

/** Tries and keeps the credentials; `helper` names the credential helper that took them, if one did. */
export async function login(registry: string, creds: Credentials, o: { insecure?: string[]; certsDir?: string } = {}): Promise<{ domain: string; helper?: string }> {
  const domain = registryDomain(registry);
  const dir = await mkdtemp(join(tmpdir(), 'berth-login-'));
  const trial = join(dir, 'config.json');
  const client = new RegistryClient({ configPath: trial, ...(o.insecure ? { insecure: o.insecure } : {}), ...(o.certsDir ? { certsDir: o.certsDir } : {}) });
  try {
    await storeCredentials(domain, creds, trial);
    const res = await client.request(parseReference(`${registry}/probe`), 'GET', '/v2/');
    await res.cancel();
    if (!res.ok) throw new PermissionDeniedError(`login to ${domain} failed (${res.status}); check the user name and password`);
  } finally {
    client.close();
    await rm(dir, { recursive: true, force: true });
  }
  const { helper } = await storeCredentials(domain, creds);
  return { domain, ...(helper ? { helper } : {}) };
}

/** Forgets the registry's credentials (in its helper too); says whether there were any, and why a helper could not erase. */
export async function logout(registry: string): Promise<{ domain: string; removed: boolean; warning?: string }> {
  const domain = registryDomain(registry);
  const { had, warning } = await eraseCredentials(domain);
  return { domain, removed: had, ...(warning ? { warning } : {}) };
}
