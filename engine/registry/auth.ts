// Registry credentials and tokens: `auths` of ~/.docker/config.json (or $DOCKER_CONFIG/config.json),
// written by `berth login` as by `docker login`, and the bearer-token flow of the distribution spec
// (a 401 names a realm, service and scope; the token is cached until it expires).
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { PermissionDeniedError, UnavailableError } from '../../specs/errdefs.ts';
import { writeFileAtomicSync } from '../fs-atomic.ts';

export interface Credentials {
  username: string;
  password: string;
}

export function dockerConfigPath(): string {
  return join(process.env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json');
}

function authKey(domain: string): string[] {
  return domain === 'docker.io' ? ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io'] : [domain, `https://${domain}`, `http://${domain}`];
}

export function readCredentials(domain: string, path = dockerConfigPath()): Credentials | undefined {
  if (!existsSync(path)) return undefined;
  let config: { auths?: Record<string, { auth?: string; username?: string; password?: string }> };
  try {
    config = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
  for (const k of authKey(domain)) {
    const a = config.auths?.[k];
    if (!a) continue;
    if (a.username && a.password) return { username: a.username, password: a.password };
    if (a.auth) {
      const text = Buffer.from(a.auth, 'base64').toString('utf8');
      const i = text.indexOf(':');
      if (i > 0) return { username: text.slice(0, i), password: text.slice(i + 1) };
    }
  }
  return undefined;
}

/** Stores (or, with undefined, removes) the credentials of a registry, keeping the rest of the file. */
export function writeCredentials(domain: string, creds: Credentials | undefined, path = dockerConfigPath()): boolean {
  let config: { auths?: Record<string, unknown>; [k: string]: unknown } = {};
  if (existsSync(path)) config = JSON.parse(readFileSync(path, 'utf8'));
  config.auths ??= {};
  const key = authKey(domain)[0]!;
  const had = authKey(domain).some((k) => k in config.auths!);
  for (const k of authKey(domain)) delete config.auths[k];
  if (creds) config.auths[key] = { auth: Buffer.from(`${creds.username}:${creds.password}`).toString('base64') };
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileAtomicSync(path, JSON.stringify(config, null, '\t') + '\n', { mode: 0o600 });
  return had;
}

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses `Bearer realm="…",service="…",scope="…"` (quoted values may hold commas). */
export function parseChallenge(header: string): Challenge {
  const m = /^(\w+)\s*(.*)$/.exec(header.trim());
  const params: Record<string, string> = {};
  if (!m) return { scheme: '', params };
  for (const p of m[2]!.matchAll(/(\w+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g)) params[p[1]!.toLowerCase()] = p[2] ?? p[3] ?? '';
  return { scheme: m[1]!.toLowerCase(), params };
}

export class TokenCache {
  readonly #tokens = new Map<string, { token: string; expires: number }>();

  async token(challenge: Challenge, scope: string, creds: Credentials | undefined): Promise<string> {
    const { realm, service } = challenge.params;
    if (!realm) throw new UnavailableError('the registry asked for a bearer token without naming a realm');
    const key = `${realm}|${service ?? ''}|${scope}|${creds?.username ?? ''}`;
    const cached = this.#tokens.get(key);
    if (cached && cached.expires > Date.now()) return cached.token;
    const url = new URL(realm);
    if (service) url.searchParams.set('service', service);
    if (scope) url.searchParams.set('scope', scope);
    const headers: Record<string, string> = {};
    if (creds) headers.authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
    let res: Response;
    try {
      res = await fetch(url, { headers });
    } catch (err) {
      throw new UnavailableError(`token server ${url.origin}: ${(err as Error).message}`);
    }
    if (res.status === 401 || res.status === 403) {
      throw new PermissionDeniedError(`token server ${url.origin} refused ${creds ? `user "${creds.username}"` : 'anonymous access'} for ${scope}; check \`berth login\``);
    }
    if (!res.ok) throw new UnavailableError(`token server ${url.origin} answered ${res.status}`);
    const body = (await res.json()) as { token?: string; access_token?: string; expires_in?: number };
    const token = body.token ?? body.access_token;
    if (!token) throw new UnavailableError(`token server ${url.origin} sent no token`);
    // Renewed a little before it expires; the spec's default lifetime is 60 s.
    this.#tokens.set(key, { token, expires: Date.now() + Math.max(10, (body.expires_in ?? 60) - 5) * 1000 });
    return token;
  }
}
