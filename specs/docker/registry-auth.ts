// Docker's X-Registry-Auth header (pull, push): base64url of the JSON AuthConfig
// {username, password, serveraddress} or {identitytoken}, or the `auth` "user:password" of a
// config.json entry — the credentials for that one request, never kept. No header, or one that
// names no credentials ("e30=", {}), means the daemon's own (`berth login`, POST /auth).
import { InvalidArgumentError } from '../errdefs.ts';

export interface RequestCredentials {
  username: string;
  password: string;
  identityToken?: string;
}

const HEADER = 'X-Registry-Auth';

export function registryAuth(header: string | string[] | undefined): RequestCredentials | undefined {
  const text = Array.isArray(header) ? header[0] : header;
  if (!text?.trim()) return undefined;
  let v: unknown;
  try {
    // Node's base64 decoder takes the url-safe alphabet and missing padding too (clients send either).
    v = JSON.parse(Buffer.from(text.trim(), 'base64').toString('utf8'));
  } catch {
    throw new InvalidArgumentError(`invalid ${HEADER} header: not base64url-encoded JSON; send base64url of {"username":…,"password":…,"serveraddress":…} or {"identitytoken":…}`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new InvalidArgumentError(`invalid ${HEADER} header: the JSON must be an object such as {"username":…,"password":…}`);
  const a = v as Record<string, unknown>;
  const str = (k: string): string => {
    const x = a[k];
    if (x === undefined || x === null) return '';
    if (typeof x !== 'string') throw new InvalidArgumentError(`invalid ${HEADER} header: "${k}" must be a string`);
    return x;
  };
  if (str('registrytoken')) throw new InvalidArgumentError(`${HEADER}: a registrytoken (a bearer token given as is) is not supported by berth; send username and password, or an identitytoken`);
  let username = str('username');
  let password = str('password');
  const auth = str('auth');
  if (auth && !username && !password) {
    const pair = Buffer.from(auth, 'base64').toString('utf8');
    const colon = pair.indexOf(':');
    if (colon < 0) throw new InvalidArgumentError(`invalid ${HEADER} header: "auth" must be base64 of "user:password"`);
    [username, password] = [pair.slice(0, colon), pair.slice(colon + 1)];
  }
  const identityToken = str('identitytoken');
  if (identityToken) return { username, password: '', identityToken };
  if (!username && !password) return undefined;
  return { username, password };
}
