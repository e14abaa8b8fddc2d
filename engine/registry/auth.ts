// The bearer-token flow of the distribution spec: a 401 names a realm, service and scope; the token
// server is asked with the registry's credentials (docker-config.ts) — a user and password by GET
// with basic auth, an identity token by the OAuth2 refresh-token POST, as Docker does — and the
// token is cached until it expires.
import { PermissionDeniedError, UnavailableError } from '../../specs/errdefs.ts';
import type { Credentials } from './docker-config.ts';

/** A GET or POST to the token server, as the registry is reached (client.ts: its TLS files). */
export type Fetch = (url: URL, init: { method?: string; headers: Record<string, string>; body?: URLSearchParams }) => Promise<{ status: number; ok: boolean; json(): Promise<unknown> }>;

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

  async token(challenge: Challenge, scope: string, creds: Credentials | undefined, get: Fetch): Promise<string> {
    const { realm, service } = challenge.params;
    if (!realm) throw new UnavailableError('the registry asked for a bearer token without naming a realm');
    const key = `${realm}|${service ?? ''}|${scope}|${creds?.username ?? ''}|${creds?.identityToken ?? ''}`;
    const cached = this.#tokens.get(key);
    if (cached && cached.expires > Date.now()) return cached.token;
    const url = new URL(realm);
    let res: Awaited<ReturnType<Fetch>>;
    try {
      if (creds?.identityToken) {
        // OAuth2 refresh-token grant (distribution's token spec; client_id names the client).
        const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.identityToken, client_id: 'berth', ...(service ? { service } : {}), ...(scope ? { scope } : {}) });
        res = await get(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form });
      } else {
        if (service) url.searchParams.set('service', service);
        if (scope) url.searchParams.set('scope', scope);
        const headers: Record<string, string> = {};
        if (creds) headers.authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
        res = await get(url, { headers });
      }
    } catch (err) {
      throw new UnavailableError(`token server ${url.origin}: ${(err as Error).message}`);
    }
    if (res.status === 401 || res.status === 403) {
      throw new PermissionDeniedError(`token server ${url.origin} refused ${creds ? (creds.identityToken ? 'the identity token' : `user "${creds.username}"`) : 'anonymous access'} for ${scope}; check \`berth login\``);
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
