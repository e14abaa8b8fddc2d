// An OCI distribution client (the spec's pull and push flows): ping, bearer or basic auth,
// manifests by tag or digest, blobs fetched with verification and resumed with Range after a
// dropped connection, 5xx retried, pushes with existence checks (HEAD), cross-repository mounts,
// monolithic or chunked uploads. https, except for loopback registries and those marked insecure
// that have no certs.d entry (tls.ts: a host's own CA and client certificate).
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { InvalidArgumentError, NotFoundError, PermissionDeniedError, UnavailableError } from '../../specs/errdefs.ts';
import type { ContentStore } from '../content/store.ts';
import { isLoopbackRegistry, type Reference } from '../images/reference.ts';
import { INDEX_TYPES, MANIFEST_TYPES } from '../images/types.ts';
import type { Agent } from 'node:https';
import { parseChallenge, TokenCache, type Fetch } from './auth.ts';
import { readCredentials, type Credentials } from './docker-config.ts';
import { handshakeAlert, RegistryTls, tlsFailureHint, type HostTls } from './tls.ts';
import { send, type RegistryResponse } from './transport.ts';
import type { Descriptor } from '../../specs/api/images.ts';

export interface RegistryOptions {
  /** Registries (host:port) reached over plain http even though they are not loopback. */
  insecure?: string[];
  /** Path of the docker config.json holding credentials. */
  configPath?: string;
  /** Attempts for a request that fails with 5xx or a connection error. */
  attempts?: number;
  /** Bytes per PATCH for chunked uploads (0: monolithic PUT). */
  chunkSize?: number;
  /**
   * Mirrors to pull from before the registry itself, per registry domain ("docker.io" for Docker
   * Hub), as base URLs (https://mirror.example). Pulls only: a push always goes to the registry.
   */
  mirrors?: Record<string, string[]>;
  /** Per-host TLS files: <certsDir>/<host[:port]>/{*.crt, client.cert, client.key} (default /etc/berth/certs.d). */
  certsDir?: string;
}

/** Where a pull may read a reference from: a mirror (its URL), or the registry itself. */
export interface PullEndpoint {
  client: RegistryClient;
  mirror?: string;
}

export interface FetchedManifest {
  mediaType: string;
  digest: string;
  body: Buffer;
}

const ACCEPT = [...MANIFEST_TYPES, ...INDEX_TYPES].join(', ');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class RegistryClient {
  #o: RegistryOptions;
  readonly #tokens = new TokenCache();
  /** Per registry+repository: the Authorization header that last worked. */
  readonly #auth = new Map<string, string>();
  /** Set on a mirror's client: every request goes to this base URL, whatever the reference's domain. */
  readonly #mirror: URL | undefined;
  readonly #mirrorClients = new Map<string, RegistryClient>();
  /** Shared with the mirrors' clients. */
  readonly #tls: RegistryTls;
  /** Credentials given for one pull or push (Docker's X-Registry-Auth), used instead of the config file's. */
  #given: Credentials | undefined;

  constructor(o: RegistryOptions = {}, mirror?: string, tls?: RegistryTls) {
    this.#o = o;
    this.#mirror = mirror === undefined ? undefined : new URL(mirror);
    this.#tls = tls ?? new RegistryTls(o.certsDir);
  }

  /** Changes the insecure registries, the mirrors, the certs.d directory (a daemon's reload); requests under way finish as they started. */
  configure(o: Pick<RegistryOptions, 'insecure' | 'mirrors' | 'certsDir'>): void {
    this.#o = { ...this.#o, ...o };
    if (o.certsDir) this.#tls.setDir(o.certsDir);
    this.#mirrorClients.clear();
  }

  /**
   * A client for one pull or push made with these credentials (Docker's X-Registry-Auth) instead of
   * the daemon's: its own token and Authorization caches, so nothing they earned outlives the
   * request or reaches another. Mirrors keep their own credentials (never these).
   */
  withCredentials(creds: Credentials): RegistryClient {
    const c = new RegistryClient(this.#o, undefined, this.#tls);
    c.#given = creds;
    return c;
  }

  /** Closes the connections kept for hosts with their own TLS files. */
  close(): void {
    this.#tls.close();
  }

  /**
   * The mirrors of ref's registry in order, then the registry itself. A mirror has its own
   * credentials (`berth login <mirror host>`): the registry's are never sent to it.
   */
  pullEndpoints(ref: Reference): PullEndpoint[] {
    const mirrors = this.#mirror ? [] : (this.#o.mirrors?.[ref.domain] ?? []);
    const out: PullEndpoint[] = mirrors.map((url) => {
      let client = this.#mirrorClients.get(url);
      if (!client) this.#mirrorClients.set(url, (client = new RegistryClient(this.#o, url, this.#tls)));
      return { client, mirror: url };
    });
    return [...out, { client: this }];
  }

  /** The host requests go to, as messages and credentials name it. */
  #domain(ref: Reference): string {
    return this.#mirror ? this.#mirror.host : ref.domain;
  }

  /**
   * Where requests for `domain` go, and the agent carrying the host's TLS files. A registry
   * with a certs.d entry is reached over https even on loopback or when marked insecure.
   */
  async #endpoint(domain: string): Promise<{ base: string; host: string; files?: HostTls; agent?: Agent }> {
    const mirror = this.#mirror;
    const host = mirror ? mirror.host : domain === 'docker.io' ? 'registry-1.docker.io' : domain;
    const base = mirror ? `${mirror.origin}${mirror.pathname.replace(/\/+$/, '')}` : `https://${host}`;
    if (mirror?.protocol === 'http:') return { base, host };
    const files = await this.#tls.files(host);
    if (!mirror && !files && (isLoopbackRegistry(domain) || (this.#o.insecure ?? []).includes(domain))) return { base: `http://${host}`, host };
    return { base, host, ...(files ? { files, agent: this.#tls.agent(host, files) } : {}) };
  }

  #creds(domain: string): Promise<Credentials | undefined> {
    if (this.#given) return Promise.resolve(this.#given);
    return readCredentials(domain, this.#o.configPath);
  }

  /** One request with auth (a 401 is answered once with the challenge's credentials) and retries. */
  async request(ref: Reference, method: string, path: string, init: { headers?: Record<string, string>; body?: Buffer; push?: boolean; okStatuses?: number[]; bulk?: boolean } = {}): Promise<RegistryResponse> {
    const domain = this.#domain(ref);
    if (this.#mirror && (init.push || (method !== 'GET' && method !== 'HEAD'))) throw new InvalidArgumentError(`mirror ${domain} is for pulls only; ${method} goes to ${ref.domain}`);
    const endpoint = await this.#endpoint(ref.domain);
    const url = path.startsWith('http') ? path : `${endpoint.base}${path}`;
    const agent = endpoint.agent ? { agent: endpoint.agent } : {};
    // The token server is reached the way the registry is (Docker's auth transport is the registry's).
    const get: Fetch = (u, i) => send(u.href, { method: i.method ?? 'GET', headers: i.headers, ...(i.body ? { body: Buffer.from(i.body.toString()) } : {}), ...agent });
    const scope = `repository:${ref.path}:${init.push ? 'pull,push' : 'pull'}`;
    const key = `${domain}|${scope}`;
    const attempts = this.#o.attempts ?? 4;
    let authTried = false;
    for (let attempt = 1; ; attempt++) {
      const headers: Record<string, string> = { ...(init.headers ?? {}) };
      const auth = this.#auth.get(key);
      if (auth) headers.authorization = auth;
      let res: RegistryResponse;
      try {
        res = await send(url, { method, headers, ...(init.body ? { body: init.body } : {}), ...agent, ...(init.bulk ? { bulk: true } : {}) });
      } catch (err) {
        let cause = err as NodeJS.ErrnoException | undefined;
        if (url.startsWith('https:') && cause?.code === 'ECONNRESET') cause = (await handshakeAlert(new URL(url), endpoint.files)) ?? cause;
        const hint = tlsFailureHint(cause, endpoint.host, this.#tls.dir);
        if (hint) throw new UnavailableError(`registry ${domain}: ${method} ${path}: ${hint}`);
        if (attempt < attempts) {
          await sleep(100 * 2 ** attempt);
          continue;
        }
        throw new UnavailableError(`registry ${domain}: ${method} ${path}: ${(err as Error).message}`);
      }
      if (res.status === 400 && url.startsWith('http:') && !this.#mirror && /HTTP request to an HTTPS server/.test(await res.text())) {
        await res.cancel();
        throw new UnavailableError(
          `registry ${domain} speaks https, and was reached over plain http (as a loopback or insecure registry is unless it has a certs.d entry): create ${this.#tls.dir}/${endpoint.host}/ holding its CA as ca.crt`,
        );
      }
      if (res.status === 401 && !authTried) {
        authTried = true;
        await res.cancel();
        const challenge = parseChallenge(res.headers.get('www-authenticate') ?? '');
        const creds = await this.#creds(domain);
        if (challenge.scheme === 'bearer') {
          this.#auth.set(key, `Bearer ${await this.#tokens.token(challenge, scope, creds, get)}`);
        } else if (challenge.scheme === 'basic' && creds?.identityToken) {
          throw new PermissionDeniedError(`registry ${domain} asks for a user and password, but its credentials are an identity token, which only a token server takes; run \`berth login ${domain}\``);
        } else if (challenge.scheme === 'basic' && creds) {
          this.#auth.set(key, `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`);
        } else {
          throw new PermissionDeniedError(`registry ${domain} needs credentials for ${ref.path}: run \`berth login ${domain}\``);
        }
        attempt--;
        continue;
      }
      if (res.status === 401 || res.status === 403) {
        await res.cancel();
        throw new PermissionDeniedError(`registry ${domain} refused ${method} on ${ref.path} (${res.status}); check \`berth login ${domain}\``);
      }
      if (res.status >= 500 && attempt < attempts) {
        await res.cancel();
        await sleep(100 * 2 ** attempt);
        continue;
      }
      return res;
    }
  }

  async ping(ref: Reference): Promise<void> {
    const res = await this.request(ref, 'GET', '/v2/');
    await res.cancel();
    if (!res.ok) throw new UnavailableError(`registry ${this.#domain(ref)} does not speak the distribution API (GET /v2/ answered ${res.status})`);
  }

  async getManifest(ref: Reference, reference = ref.digest ?? ref.tag ?? 'latest'): Promise<FetchedManifest> {
    const res = await this.request(ref, 'GET', `/v2/${ref.path}/manifests/${reference}`, { headers: { accept: ACCEPT } });
    if (res.status === 404) {
      await res.cancel();
      throw new NotFoundError(`${this.#domain(ref)}/${ref.path}:${reference} not found in the registry (check the name and tag)`);
    }
    if (!res.ok) throw await httpError(res, `GET manifest ${ref.path}:${reference}`);
    const body = Buffer.from(await res.arrayBuffer());
    const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    if (reference.startsWith('sha256:') && reference !== digest) {
      throw new InvalidArgumentError(`registry ${this.#domain(ref)} served a manifest with digest ${digest} for ${reference}; refused`);
    }
    const mediaType = (res.headers.get('content-type') ?? '').split(';')[0]!.trim() || (JSON.parse(body.toString()) as { mediaType?: string }).mediaType || '';
    return { mediaType, digest, body };
  }

  /**
   * Fetches a blob into the store, verified. A connection lost mid-way is resumed with a Range
   * request from the bytes already ingested; a wrong digest stores nothing.
   */
  async fetchBlob(
    ref: Reference,
    desc: Descriptor,
    store: ContentStore,
    onBytes?: (n: number) => void,
  ): Promise<void> {
    if (store.has(desc.digest)) return;
    const key = `pull-${desc.digest.slice(7)}`;
    const attempts = this.#o.attempts ?? 4;
    for (let attempt = 1; ; attempt++) {
      const have = await store.ingestedBytes(key);
      if (have >= desc.size && desc.size > 0) {
        // Whole already (the daemon stopped between the last byte and the commit): verified and committed, no request.
        try {
          await store.putStream(Readable.from([]), { digest: desc.digest, size: desc.size }, key);
          return;
        } catch {
          await store.discardIngest(key);
          continue;
        }
      }
      const headers: Record<string, string> = have > 0 ? { range: `bytes=${have}-` } : {};
      // A blob's bytes on a connection of their own, handed over without a Buffer per chunk (bulk-get.ts).
      const res = await this.request(ref, 'GET', `/v2/${ref.path}/blobs/${desc.digest}`, { headers, bulk: true });
      if (res.status === 404) {
        await res.cancel();
        throw new NotFoundError(`blob ${desc.digest} of ${ref.path} is missing from registry ${this.#domain(ref)}`);
      }
      if (res.status === 416 && have > 0 && attempt < attempts) {
        // The registry cannot serve from where the ingest ends: start it over.
        await res.cancel();
        await store.discardIngest(key);
        continue;
      }
      if (!res.ok) throw await httpError(res, `GET blob ${desc.digest}`);
      // A registry that ignores Range sends the whole blob again: start the ingest over.
      if (have > 0 && res.status !== 206) await store.discardIngest(key);
      else if (have > 0) onBytes?.(0);
      // Counted as it is stored (a 'data' listener here would start the flow before anyone reads).
      try {
        await store.putStream(res.body, { digest: desc.digest, size: desc.size }, key, onBytes);
        return;
      } catch (err) {
        if (err instanceof InvalidArgumentError) {
          await store.discardIngest(key);
          throw err;
        }
        if (attempt >= attempts) {
          await store.discardIngest(key);
          throw new UnavailableError(`blob ${desc.digest} from ${this.#domain(ref)}: ${(err as Error).message} (after ${attempts} attempts)`);
        }
        await sleep(100 * 2 ** attempt);
      }
    }
  }

  async blobExists(ref: Reference, digest: string): Promise<boolean> {
    const res = await this.request(ref, 'HEAD', `/v2/${ref.path}/blobs/${digest}`, { push: true });
    await res.cancel();
    return res.ok;
  }

  /** Uploads a blob unless the registry has it; tries a cross-repository mount from `mountFrom` first. */
  async pushBlob(ref: Reference, desc: Descriptor, store: ContentStore, mountFrom?: string): Promise<'exists' | 'mounted' | 'uploaded'> {
    if (await this.blobExists(ref, desc.digest)) return 'exists';
    const mount = mountFrom && mountFrom !== ref.path ? `?mount=${desc.digest}&from=${encodeURIComponent(mountFrom)}` : '';
    let res = await this.request(ref, 'POST', `/v2/${ref.path}/blobs/uploads/${mount}`, { push: true });
    await res.cancel();
    if (res.status === 201 && mount) return 'mounted';
    if (res.status !== 202) throw await httpError(res, `start upload of ${desc.digest}`);
    let location = await this.#location(ref, res);
    const data = await store.read(desc.digest);
    const chunk = this.#o.chunkSize ?? 0;
    if (chunk > 0 && data.length > chunk) {
      for (let off = 0; off < data.length; off += chunk) {
        const part = data.subarray(off, Math.min(off + chunk, data.length));
        res = await this.request(ref, 'PATCH', location, {
          push: true,
          body: Buffer.from(part),
          headers: { 'content-type': 'application/octet-stream', 'content-range': `${off}-${off + part.length - 1}`, 'content-length': String(part.length) },
        });
        await res.cancel();
        if (res.status !== 202) throw await httpError(res, `upload chunk of ${desc.digest}`);
        location = await this.#location(ref, res);
      }
      res = await this.request(ref, 'PUT', withDigest(location, desc.digest), { push: true, headers: { 'content-length': '0' } });
    } else {
      res = await this.request(ref, 'PUT', withDigest(location, desc.digest), {
        push: true,
        body: data,
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(data.length) },
      });
    }
    await res.cancel();
    if (res.status !== 201) throw await httpError(res, `finish upload of ${desc.digest}`);
    return 'uploaded';
  }

  async #location(ref: Reference, res: RegistryResponse): Promise<string> {
    const loc = res.headers.get('location');
    if (!loc) throw new UnavailableError(`registry ${this.#domain(ref)} sent no upload location`);
    return new URL(loc, (await this.#endpoint(ref.domain)).base).toString();
  }

  async putManifest(ref: Reference, reference: string, body: Buffer, mediaType: string): Promise<string> {
    const res = await this.request(ref, 'PUT', `/v2/${ref.path}/manifests/${reference}`, { push: true, body, headers: { 'content-type': mediaType } });
    await res.cancel();
    if (res.status !== 201) throw await httpError(res, `PUT manifest ${ref.path}:${reference}`);
    return res.headers.get('docker-content-digest') ?? '';
  }
}

function withDigest(location: string, digest: string): string {
  const u = new URL(location);
  u.searchParams.set('digest', digest);
  return u.toString();
}

async function httpError(res: RegistryResponse, what: string): Promise<Error> {
  let detail = '';
  try {
    const body = (await res.json()) as { errors?: Array<{ code: string; message: string }> };
    detail = (body.errors ?? []).map((e) => `${e.code}: ${e.message}`).join('; ');
  } catch {
    // Not a distribution error body.
  }
  const msg = `${what}: registry answered ${res.status}${detail ? ` (${detail})` : ''}`;
  if (res.status === 404) return new NotFoundError(msg);
  if (res.status >= 400 && res.status < 500) return new InvalidArgumentError(msg);
  return new UnavailableError(msg);
}
