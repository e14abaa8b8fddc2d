// A GET whose body is large (a blob), on a connection of its own, its bytes handed over in the one
// buffer each read fills (net's and tls's `onread`): no Buffer is made per chunk.
//
// Why by hand: Node's http client copies every body chunk out of the read buffer (its parser's
// on_body makes a new Buffer of each), and undici (npm, or the built-in fetch) parses in
// WebAssembly with a memory that stays for the daemon's life (transport.ts). A 100 MB pull of
// three layers from a loopback registry took 340-450 ms through node:http into the same sink,
// ~190 ms this way (skopeo: ~330 ms): the per-chunk copies, the garbage they make and its
// collections were more than half of a download's time. Only what a blob GET needs is here: a
// status line and headers, a body by Content-Length, chunked, or up to the close; redirects,
// authentication and retries stay with transport.ts and client.ts.
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { ChunkSource } from '../content/chunks.ts';

/** The read buffer of one connection: a TLS record or a socket read fits many times over. */
const READ_BUFFER = 256 * 1024;
/** A response head longer than this is refused (node:http's limit is 16 KiB). */
const MAX_HEAD = 64 * 1024;

export interface BulkResponse {
  status: number;
  statusMessage: string;
  /** Header names in lower case; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** The body: flow() once. */
  body: ChunkSource;
  /** Drops the connection (the body, if any, is not read). */
  cancel(): void;
}

type BodyMode = { kind: 'none' } | { kind: 'length'; left: number } | { kind: 'chunked' } | { kind: 'close' };

function closedEarly(what: string): Error {
  return Object.assign(new Error(`the connection closed before ${what}`), { code: 'ECONNRESET' });
}

function parseHead(text: string): { status: number; statusMessage: string; headers: Record<string, string> } {
  const lines = text.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(lines[0] ?? '');
  if (!m) throw Object.assign(new Error(`not an HTTP/1.1 response: ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`), { code: 'HPE_INVALID_CONSTANT' });
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw Object.assign(new Error(`a malformed response header: ${JSON.stringify(line.slice(0, 80))}`), { code: 'HPE_INVALID_HEADER_TOKEN' });
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  return { status: Number(m[1]), statusMessage: m[2] ?? '', headers };
}

function bodyMode(method: string, status: number, headers: Record<string, string>): BodyMode {
  if (method === 'HEAD' || status === 204 || status === 304) return { kind: 'none' };
  if (/\bchunked\b/i.test(headers['transfer-encoding'] ?? '')) return { kind: 'chunked' };
  const length = headers['content-length'];
  if (length !== undefined) {
    if (!/^\d+$/.test(length)) throw Object.assign(new Error(`a bad Content-Length: ${JSON.stringify(length)}`), { code: 'HPE_INVALID_CONTENT_LENGTH' });
    return Number(length) === 0 ? { kind: 'none' } : { kind: 'length', left: Number(length) };
  }
  return { kind: 'close' };
}

/**
 * The chunked transfer coding, decoded from whatever pieces the reads give: the data of each chunk
 * handed to `data` as views of the piece; true once the last chunk and the trailer have passed.
 */
class Dechunker {
  #state: 'size' | 'data' | 'data-end' | 'trailer' = 'size';
  #line = '';
  #left = 0;

  /** Consumes `piece`; the body's data to `data`. Returns true at the end of the body. */
  feed(piece: Buffer, data: (b: Buffer) => void): boolean {
    let i = 0;
    while (i < piece.length) {
      if (this.#state === 'data') {
        const n = Math.min(this.#left, piece.length - i);
        data(piece.subarray(i, i + n));
        i += n;
        this.#left -= n;
        if (this.#left === 0) this.#state = 'data-end';
        continue;
      }
      // A line: a chunk's size (extensions after ";" ignored), the CRLF after its data, or a trailer's.
      const nl = piece.indexOf(0x0a, i);
      const end = nl < 0 ? piece.length : nl + 1;
      this.#line += piece.toString('latin1', i, end);
      i = end;
      if (this.#line.length > 4096) throw Object.assign(new Error('a chunked body line longer than 4 KiB'), { code: 'HPE_INVALID_CHUNK_SIZE' });
      if (nl < 0) continue;
      const line = this.#line.replace(/\r?\n$/, '');
      this.#line = '';
      if (this.#state === 'data-end') {
        if (line !== '') throw Object.assign(new Error('a chunk not followed by CRLF'), { code: 'HPE_INVALID_CHUNK_SIZE' });
        this.#state = 'size';
      } else if (this.#state === 'trailer') {
        if (line === '') return true;
      } else {
        const size = /^([0-9a-fA-F]{1,12})\s*(;.*)?$/.exec(line);
        if (!size) throw Object.assign(new Error(`a bad chunk size line: ${JSON.stringify(line.slice(0, 40))}`), { code: 'HPE_INVALID_CHUNK_SIZE' });
        this.#left = parseInt(size[1]!, 16);
        this.#state = this.#left === 0 ? 'trailer' : 'data';
      }
    }
    return false;
  }
}

/** Header values go on the wire as given: nothing that could end a line. */
function headerLines(headers: Record<string, string>): string {
  let out = '';
  for (const [k, v] of Object.entries(headers)) {
    if (/[\r\n:]/.test(k) || /[\r\n]/.test(v)) throw new TypeError(`invalid header ${JSON.stringify(k)}`);
    out += `${k}: ${v}\r\n`;
  }
  return out;
}

/**
 * One GET (or HEAD) of `url`, `Connection: close`: resolves with the status and headers; the
 * body flows once asked. `tls` carries a host's CA and client certificate (an https agent's).
 */
export function bulkGet(url: URL, o: { method?: 'GET' | 'HEAD'; headers: Record<string, string>; tls?: ConnectionOptions; stallMs: number }): Promise<BulkResponse> {
  const method = o.method ?? 'GET';
  return new Promise<BulkResponse>((resolve, reject) => {
    const https = url.protocol === 'https:';
    if (!https && url.protocol !== 'http:') return reject(new Error(`unsupported protocol ${url.protocol} in ${url.href}`));
    const request = `${method} ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n${headerLines(o.headers)}Connection: close\r\n\r\n`;
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = Number(url.port) || (https ? 443 : 80);
    const buffer = Buffer.allocUnsafe(READ_BUFFER);
    const onread = { buffer, callback: (n: number) => take(buffer.subarray(0, n)) };
    const socket: Socket = https
      ? // tls.connect takes onread as net.connect does (Node's documentation), its types do not say so.
        tlsConnect({ ...o.tls, host, port, ...(isIP(host) ? {} : { servername: host }), onread } as ConnectionOptions)
      : netConnect({ host, port, onread });
    // The head as it arrives (copied: the read buffer is reused), then the body's state.
    let head: Buffer | undefined = Buffer.alloc(0);
    let mode: BodyMode | undefined;
    const dechunker = new Dechunker();
    // Body bytes that came with the head or before flow(): copied, handed over first.
    let early: Buffer[] = [];
    let sink: ((b: Buffer) => boolean) | undefined;
    let finish: { resolve: () => void; reject: (err: Error) => void } | undefined;
    let ended = false;
    let failure: Error | undefined;
    let wantPause = false;

    const end = (err?: Error) => {
      if (ended) return;
      ended = true;
      failure = err;
      socket.destroy();
      if (!finish) return;
      if (err) finish.reject(err);
      else finish.resolve();
    };
    /** Body bytes: to the sink, or kept until there is one. */
    const deliver = (b: Buffer) => {
      if (!b.length) return;
      if (sink) {
        if (!sink(b)) wantPause = true;
      } else {
        early.push(Buffer.from(b));
      }
    };
    const body = (piece: Buffer) => {
      if (!mode || ended) return;
      if (mode.kind === 'length') {
        const n = Math.min(mode.left, piece.length);
        deliver(piece.subarray(0, n));
        mode.left -= n;
        if (mode.left === 0) end();
      } else if (mode.kind === 'chunked') {
        if (dechunker.feed(piece, deliver)) end();
      } else if (mode.kind === 'close') {
        deliver(piece);
      }
    };
    // Each read: returns false to pause the socket (the sink is full, or nobody reads yet).
    const take = (piece: Buffer): boolean => {
      try {
        if (head) {
          const all = (head = Buffer.concat([head, piece]));
          const at = all.indexOf('\r\n\r\n');
          if ((at < 0 ? all.length : at) > MAX_HEAD) throw Object.assign(new Error(`a response head over ${MAX_HEAD / 1024} KiB`), { code: 'HPE_HEADER_OVERFLOW' });
          if (at < 0) return true;
          const parsed = parseHead(all.toString('latin1', 0, at));
          const rest = all.subarray(at + 4);
          // 1xx: an interim answer; the real one follows.
          if (parsed.status >= 100 && parsed.status < 200) {
            head = Buffer.alloc(0);
            return rest.length ? take(rest) : true;
          }
          mode = bodyMode(method, parsed.status, parsed.headers);
          head = undefined;
          // Answered: from here on a failure is the body's (its flow rejects).
          resolve({ ...parsed, body: source, cancel: () => end(new Error('cancelled')) });
          if (mode.kind === 'none') end();
          else body(rest);
          // Until flow() is called: paused.
          return sink !== undefined;
        }
        wantPause = false;
        body(piece);
        return !wantPause && sink !== undefined;
      } catch (err) {
        socket.destroy(err as Error);
        return false;
      }
    };
    const source: ChunkSource = {
      flow(take) {
        if (sink) return Promise.reject(new Error('the body flows once'));
        return new Promise<void>((res, rej) => {
          finish = { resolve: res, reject: rej };
          sink = take;
          const pending = early;
          early = [];
          for (const b of pending) if (!take(b)) wantPause = true;
          if (ended) return failure ? rej(failure) : res();
          if (!wantPause) socket.resume();
        });
      },
      resume() {
        wantPause = false;
        if (!ended) socket.resume();
      },
      destroy: (err) => end(err),
    };
    socket.setTimeout(o.stallMs, () => socket.destroy(Object.assign(new Error(`no data from ${url.host} for ${o.stallMs / 1000} s`), { code: 'ETIMEDOUT' })));
    socket.on('error', (err) => {
      if (head) reject(err);
      end(err);
    });
    socket.on('end', () => {
      if (head) return reject(closedEarly('a response came'));
      if (mode?.kind === 'close') return end();
      end(closedEarly(`the end of the body (${mode?.kind === 'length' ? `${mode.left} bytes short` : 'in a chunked body'})`));
    });
    socket.on('close', () => {
      if (head) reject(closedEarly('a response came'));
      end(closedEarly('the end of the body'));
    });
    socket.write(request);
  });
}
