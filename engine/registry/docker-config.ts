// Registry credentials in Docker's config file (~/.docker/config.json, or $DOCKER_CONFIG/config.json),
// read and written as Docker's CLI does: when the config names a credential helper for the registry
// (credHelpers[<server>], else credsStore) the helper keeps them, and `auths` only records that the
// registry is logged in to ({}); otherwise `auths` holds them (base64 "user:password").
// The server is Docker Hub's index URL for docker.io, else the registry's host[:port].
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { InvalidArgumentError } from '../../specs/errdefs.ts';
import { writeFileAtomicSync } from '../fs-atomic.ts';
import { helperErase, helperGet, helperStore, TOKEN_USERNAME } from './cred-helper.ts';

export interface Credentials {
  username: string;
  password: string;
  /** An identity token (OAuth2 refresh token) to trade at the token server, instead of a password. */
  identityToken?: string;
}

interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
}

interface DockerConfig {
  auths?: Record<string, AuthEntry>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
  [key: string]: unknown;
}

export function dockerConfigPath(): string {
  return join(process.env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json');
}

/** Where Docker files a registry's credentials: Docker Hub's v1 index URL, else host[:port]. */
export function serverAddress(domain: string): string {
  return domain === 'docker.io' ? 'https://index.docker.io/v1/' : domain;
}

/** Every key an `auths` entry of the registry may have (older clients wrote URLs). */
function authKeys(domain: string): string[] {
  return domain === 'docker.io' ? ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io'] : [domain, `https://${domain}`, `http://${domain}`];
}

function readConfig(path: string): DockerConfig | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const config = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    if (!config || typeof config !== 'object' || Array.isArray(config)) throw new Error('not a JSON object');
    return config as DockerConfig;
  } catch (err) {
    throw new InvalidArgumentError(`docker config ${path} cannot be read: ${(err as Error).message}; fix it or remove it`, { cause: err });
  }
}

function writeConfig(path: string, config: DockerConfig): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileAtomicSync(path, JSON.stringify(config, null, '\t') + '\n', { mode: 0o600 });
}

/** The helper that keeps this registry's credentials, as Docker chooses it. */
function helperFor(config: DockerConfig, domain: string): string | undefined {
  return config.credHelpers?.[serverAddress(domain)] || config.credsStore || undefined;
}

function fromAuths(config: DockerConfig, domain: string): Credentials | undefined {
  for (const k of authKeys(domain)) {
    const a = config.auths?.[k];
    if (!a) continue;
    if (a.identitytoken) return { username: '', password: '', identityToken: a.identitytoken };
    if (a.username && a.password) return { username: a.username, password: a.password };
    if (a.auth) {
      const text = Buffer.from(a.auth, 'base64').toString('utf8');
      const i = text.indexOf(':');
      if (i > 0) return { username: text.slice(0, i), password: text.slice(i + 1) };
    }
  }
  return undefined;
}

/** The credentials for a registry (its domain, as in a reference), or undefined when there are none. */
export async function readCredentials(domain: string, path = dockerConfigPath()): Promise<Credentials | undefined> {
  const config = readConfig(path);
  if (!config) return undefined;
  const helper = helperFor(config, domain);
  if (!helper) return fromAuths(config, domain);
  const c = await helperGet(helper, serverAddress(domain));
  if (!c) return undefined;
  return c.username === TOKEN_USERNAME ? { username: '', password: '', identityToken: c.secret } : { username: c.username, password: c.secret };
}

/** Stores the credentials of a registry (`login`), keeping the rest of the file; says which helper took them. */
export async function storeCredentials(domain: string, creds: Credentials, path = dockerConfigPath()): Promise<{ helper?: string }> {
  const config = readConfig(path) ?? {};
  const key = serverAddress(domain);
  const helper = helperFor(config, domain);
  if (helper) await helperStore(helper, key, creds.username, creds.password);
  config.auths ??= {};
  for (const k of authKeys(domain)) delete config.auths[k];
  config.auths[key] = helper ? {} : { auth: Buffer.from(`${creds.username}:${creds.password}`).toString('base64') };
  writeConfig(path, config);
  return helper ? { helper } : {};
}

/**
 * Forgets the credentials of a registry (`logout`): in its helper and in `auths`. `had` says whether
 * the file recorded a login (Docker's test too); a helper that fails to erase leaves a warning.
 */
export async function eraseCredentials(domain: string, path = dockerConfigPath()): Promise<{ had: boolean; warning?: string }> {
  const config = readConfig(path);
  const keys = authKeys(domain).filter((k) => config?.auths && k in config.auths);
  if (!config || keys.length === 0) return { had: false };
  const helper = helperFor(config, domain);
  let warning: string | undefined;
  for (const k of keys) {
    if (helper) await helperErase(helper, k).catch((err: Error) => void (warning ??= `could not erase credentials: ${k}: ${err.message}`));
    delete config.auths![k];
  }
  writeConfig(path, config);
  return { had: true, ...(warning ? { warning } : {}) };
}
