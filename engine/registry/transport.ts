// One HTTP exchange with a registry (or a URL of `ADD <url>`), on Node's own http/https clients,
// whose parser is native llhttp. Not npm undici, nor the built-in fetch: undici parses with
// llhttp compiled to WebAssembly, and a daemon that pulled once kept its compiled code and memory
// for the rest of its life (RSS 66 -> 93 MiB after one small pull; 20 GETs from a bare node:
// 44 MiB with node:http, 57 with the built-in fetch, 72 with undici). What node:http lacks is
// written here: following redirects (registries send blob GETs to their storage), at most 10, with
// the Authorization header dropped when one leaves the origin, as fetch does.
// The body is the IncomingMessage itself: a Node stream, with no WHATWG stream in between (which
// cost a third of a download's time with fetch).
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest, type AgentOptions } from 'node:https';
import type { Readable } from 'node:stream';
import type { ChunkSource } from '../content/chunks.ts';
import { bulkGet, type BulkResponse } from './bulk-get.ts';

/** What the registry client reads of a response. */
export interface RegistryResponse {
  readonly status: number;
  readonly statusText: string;
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null };
  /** The body (read it once): a Node stream, or a bulk GET's chunks in a reused buffer (bulk-get.ts). */
  readonly body: Readable | ChunkSource;
  text(): Promise<string>;
  json(): Promise<unknown>;
  arrayBuffer(): Promise<ArrayBuffer>;
  /** Discards the body, so the connection can be reused. */
  cancel(): Promise<void>;
}

export interface SendInit {
  method: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** The https agent carrying a host's TLS files (tls.ts); the shared one otherwise. */
  agent?: HttpsAgent;
  /** A GET of a large body (a blob): on a connection of its own, read as chunks (bulk-get.ts). */
  bulk?: boolean;
}

const MAX_REDIRECTS = 10;
/** A request (headers, or a pause in the body) that waits this long fails, as undici's did. */
const STALL_MS = 300_000;
/** A bigger body is not read to its end to reuse the connection: the connection is dropped. */
const DRAIN_LIMIT = 128 * 1024;
/** Headers that do not follow a redirect to another origin (fetch's and undici's list). */
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

/**
 * Keep-alive agents: connections are reused for the next request, and an idle one is closed after
 * 4 s (undici's default), before servers and load balancers drop it under a request.
 */
export function agentOptions(extra: AgentOptions = {}): AgentOptions {
  return { keepAlive: true, timeout: 4000, ...extra };
}
let plainHttp: HttpAgent | undefined;
let plainHttps: HttpsAgent | undefined;

/** Closes an agent's idle connections now; those under way close when their request ends and they idle. */
export function closeIdle(agent: HttpAgent): void {
  for (const sockets of Object.values(agent.freeSockets)) for (const s of sockets ?? []) s.destroy();
}

function once(url: URL, method: string, headers: Record<string, string>, body: Buffer | undefined, agent: HttpsAgent | undefined): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const https = url.protocol === 'https:';
    if (!https && url.protocol !== 'http:') return reject(new Error(`unsupported protocol ${url.protocol} in ${url.href}`));
    const options = { method, headers, timeout: STALL_MS, agent: https ? (agent ?? (plainHttps ??= new HttpsAgent(agentOptions()))) : (plainHttp ??= new HttpAgent(agentOptions())) };
    const req = https ? httpsRequest(url, options) : httpRequest(url, options);
    req.on('response', resolve);
    req.on('error', reject);
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no data from ${url.host} for ${STALL_MS / 1000} s`), { code: 'ETIMEDOUT' })));
    req.end(body);
  });
}

function drain(res: IncomingMessage): Promise<void> {
  if (res.readableEnded || res.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let n = 0;
    res.on('data', (c: Buffer) => {
      if ((n += c.length) > DRAIN_LIMIT) res.destroy();
    });
    res.on('error', () => undefined);
    res.once('close', resolve);
    res.once('end', resolve);
    res.resume();
  });
}

/** One exchange's answer, by either client: its status, where it redirects, and the response made of it. */
interface Hop {
  status: number;
  location: string | undefined;
  /** Lets the body go (a redirect's). */
  drop(): Promise<void>;
  respond(): RegistryResponse;
}

async function httpHop(url: URL, method: string, headers: Record<string, string>, body: Buffer | undefined, agent: HttpsAgent | undefined): Promise<Hop> {
  const res = await once(url, method, headers, body, agent);
  return { status: res.statusCode ?? 0, location: res.headers.location, drop: () => drain(res), respond: () => respond(res) };
}

async function bulkHop(url: URL, headers: Record<string, string>, agent: HttpsAgent | undefined): Promise<Hop> {
  const { ca, cert, key } = agent?.options ?? {};
  const res = await bulkGet(url, { headers, tls: { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) }, stallMs: STALL_MS });
  return {
    status: res.status,
    location: res.headers.location,
    drop: async () => res.cancel(),
    respond: () => bulkRespond(res),
  };
}

/** Sends one request, following redirects; the body is a Buffer (replayed on a 307/308). */
export async function send(url: string, init: SendInit): Promise<RegistryResponse> {
  let at = new URL(url);
  let { method, body } = init;
  const headers = { ...init.headers };
  const hop = () => (init.bulk && method === 'GET' && !body ? bulkHop(at, headers, init.agent) : httpHop(at, method, headers, body, init.agent));
  let res = await hop();
  for (let n = 0; n < MAX_REDIRECTS && [301, 302, 303, 307, 308].includes(res.status) && res.location; n++) {
    await res.drop();
    const next = new URL(res.location, at);
    // fetch's rule: a 303 (and a POST's 301/302) is followed with a GET without the body.
    if ((res.status === 303 && method !== 'HEAD') || ((res.status === 301 || res.status === 302) && method === 'POST')) {
      method = 'GET';
      body = undefined;
      for (const h of Object.keys(headers)) if (h.toLowerCase().startsWith('content-')) delete headers[h];
    }
    if (next.origin !== at.origin) for (const h of Object.keys(headers)) if (CREDENTIAL_HEADERS.includes(h.toLowerCase())) delete headers[h];
    at = next;
    res = await hop();
  }
  return res.respond();
}

/** text(), json() and arrayBuffer() of a body read whole once by `read`. */
function readers(read: () => Promise<Buffer>): Pick<RegistryResponse, 'text' | 'json' | 'arrayBuffer'> {
  return {
    text: async () => (await read()).toString('utf8'),
    json: async () => JSON.parse((await read()).toString('utf8')) as unknown,
    arrayBuffer: async () => {
      const b = await read();
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
    },
  };
}

function respond(res: IncomingMessage): RegistryResponse {
  let whole: Promise<Buffer> | undefined;
  const read = () =>
    (whole ??= new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks)));
      // Also a connection closed before the whole body arrived (ECONNRESET "aborted").
      res.on('error', reject);
    }));
  const status = res.statusCode ?? 0;
  return {
    status,
    statusText: res.statusMessage ?? '',
    ok: status >= 200 && status < 300,
    headers: {
      get(name: string) {
        const v = res.headers[name.toLowerCase()];
        return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
      },
    },
    body: res,
    ...readers(read),
    cancel: () => (whole ? whole.then(() => undefined, () => undefined) : drain(res)),
  };
}

function bulkRespond(res: BulkResponse): RegistryResponse {
  let whole: Promise<Buffer> | undefined;
  const read = () =>
    (whole ??= (async () => {
      const parts: Buffer[] = [];
      await res.body.flow((c) => parts.push(Buffer.from(c)) > 0);
      return Buffer.concat(parts);
    })());
  return {
    status: res.status,
    statusText: res.statusMessage,
    ok: res.status >= 200 && res.status < 300,
    headers: { get: (name: string) => res.headers[name.toLowerCase()] ?? null },
    body: res.body,
    ...readers(read),
    cancel: async () => {
      if (whole) await whole.then(() => undefined, () => undefined);
      else res.cancel();
    },
  };
}
