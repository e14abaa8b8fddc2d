// The API client the CLI verbs use: HTTP over the daemon's unix socket (or host:port). JSON
// requests, NDJSON streams, raw uploads and downloads; API errors come back as the same errdefs
// classes the daemon threw, so verbs check them by class.
import { request, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { BerthError, errorFromJSON, UnavailableError } from '../specs/errdefs.ts';

export type Query = Record<string, string | number | boolean | undefined | string[]>;

export interface RequestOptions {
  query?: Query;
  /** JSON-serialised unless it is a Buffer or a Readable (sent raw). */
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
}

function queryString(q: Query | undefined): string {
  if (!q) return '';
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === false) continue;
    for (const item of Array.isArray(v) ? v : [v]) sp.append(k, item === true ? '1' : String(item));
  }
  const s = sp.toString();
  return s ? `?${s}` : '';
}

async function readAll(res: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of res as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

/** An NDJSON line `{"error": {...}}` ends a stream with that error. */
function streamError(line: unknown): BerthError | undefined {
  if (line && typeof line === 'object' && 'error' in line && Object.keys(line).length === 1) {
    const e = (line as { error: { kind?: string; message?: string } }).error;
    if (e && typeof e === 'object') return errorFromJSON(e);
  }
  return undefined;
}

export class ApiClient {
  readonly address: string;
  readonly #target: { socketPath: string } | { host: string; port: number };

  constructor(address: string) {
    this.address = address;
    const m = /^(?:tcp:\/\/)?(\[[^\]]+\]|[^/:]*):(\d+)$/.exec(address);
    this.#target = m ? { host: (m[1] || '127.0.0.1').replace(/^\[|\]$/g, ''), port: Number(m[2]) } : { socketPath: address };
  }

  /** Sends a request; resolves with the response once headers arrive; a status >= 400 throws its error. */
  async send(method: string, path: string, opts: RequestOptions = {}): Promise<IncomingMessage> {
    const raw = Buffer.isBuffer(opts.body) || opts.body instanceof Readable;
    const payload = opts.body === undefined ? undefined : raw ? (opts.body as Buffer | Readable) : Buffer.from(JSON.stringify(opts.body));
    const headers: Record<string, string> = { accept: 'application/json, application/x-ndjson' };
    if (payload !== undefined) headers['content-type'] = opts.contentType ?? (raw ? 'application/octet-stream' : 'application/json');
    if (Buffer.isBuffer(payload)) headers['content-length'] = String(payload.length);
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request({ ...this.#target, method, path: path + queryString(opts.query), headers, signal: opts.signal }, resolve);
      req.on('error', (err: NodeJS.ErrnoException) => reject(this.#unreachable(err)));
      if (payload instanceof Readable) payload.pipe(req);
      else req.end(payload);
    });
    if ((res.statusCode ?? 500) >= 400) {
      const text = (await readAll(res)).toString('utf8');
      let body: { error?: { kind?: string; message?: string } } | undefined;
      try {
        body = JSON.parse(text);
      } catch {
        // not one of ours: report the raw text below
      }
      throw body?.error ? errorFromJSON(body.error) : new BerthError(`daemon answered ${res.statusCode}: ${text.slice(0, 500)}`);
    }
    return res;
  }

  /**
   * A stream route (attach, exec start): the request upgraded to a raw connection (`Upgrade: tcp`,
   * Docker's hijack); resolves with the connection and its content type, or throws the API's error.
   */
  async upgrade(method: string, path: string, opts: { query?: Query } = {}): Promise<{ socket: Socket; contentType: string }> {
    return new Promise((resolve, reject) => {
      const req = request({ ...this.#target, method, path: path + queryString(opts.query), headers: { connection: 'Upgrade', upgrade: 'tcp' } });
      req.on('upgrade', (res, socket, head) => {
        if (head.length) socket.unshift(head);
        resolve({ socket, contentType: String(res.headers['content-type'] ?? '') });
      });
      req.on('response', (res) => {
        void readAll(res).then((body) => {
          let e: { error?: { kind?: string; message?: string } } | undefined;
          try {
            e = JSON.parse(body.toString('utf8'));
          } catch {
            // not one of ours
          }
          reject(e?.error ? errorFromJSON(e.error) : new BerthError(`daemon answered ${res.statusCode} to an upgrade: ${body.toString('utf8').slice(0, 500)}`));
        }, reject);
      });
      req.on('error', (err: NodeJS.ErrnoException) => reject(this.#unreachable(err)));
      req.end();
    });
  }

  #unreachable(err: NodeJS.ErrnoException): Error {
    if (!['ENOENT', 'ECONNREFUSED', 'EACCES', 'ENOTSOCK', 'EPIPE', 'ECONNRESET'].includes(err.code ?? '')) return err;
    return new UnavailableError(`cannot reach the berth daemon at ${this.address}: is \`berth daemon\` running? (${err.code}; set --socket or BERTH_SOCKET)`, { cause: err });
  }

  /** A JSON request; resolves with the parsed reply (undefined for an empty one). */
  async json<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const text = (await readAll(await this.send(method, path, opts))).toString('utf8');
    return (text.trim() === '' ? undefined : JSON.parse(text)) as T;
  }

  /** An NDJSON stream: yields each line parsed; an error line throws that error. Breaking out closes the request. */
  async *stream<T = unknown>(method: string, path: string, opts: RequestOptions = {}): AsyncGenerator<T> {
    const res = await this.send(method, path, opts);
    let buf = '';
    try {
      for await (const chunk of res as AsyncIterable<Buffer>) {
        buf += chunk.toString('utf8');
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (!line) continue;
          const value = JSON.parse(line) as unknown;
          const err = streamError(value);
          if (err) throw err;
          yield value as T;
        }
      }
      if (buf.trim()) {
        const value = JSON.parse(buf) as unknown;
        const err = streamError(value);
        if (err) throw err;
        yield value as T;
      }
    } finally {
      res.destroy();
    }
  }

  /** Uploads a stream or buffer as the raw body (e.g. `load` of an image tar); returns the JSON reply. */
  upload<T = unknown>(method: string, path: string, body: Readable | Buffer, opts: Omit<RequestOptions, 'body'> = {}): Promise<T> {
    return this.json<T>(method, path, { ...opts, body });
  }

  /** A raw download (e.g. `save`): the response stream to pipe somewhere. */
  download(method: string, path: string, opts: RequestOptions = {}): Promise<IncomingMessage> {
    return this.send(method, path, opts);
  }
}
