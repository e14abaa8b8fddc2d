// A small tar writer (layers the builder makes, archives `save` writes): ustar headers, PAX records when a name, link or number does not
// fit, entries in the order given (the differ sorts them), sha256 of the stream as it is written.
// Written by hand because node-tar reads the filesystem itself, while a layer needs entries it
// makes up (OCI whiteouts for overlay's 0/0 devices) and byte-for-byte reproducible output.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

export type TarType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';

export interface TarHeader {
  /** Path inside the archive, no leading "/" or "./"; directories without the trailing "/". */
  name: string;
  type: TarType;
  mode: number;
  uid: number;
  gid: number;
  size?: number;
  /** Seconds since the epoch. */
  mtime: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
}

const TYPEFLAG: Record<TarType, string> = { file: '0', hardlink: '1', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6' };
const FLUSH_AT = 1 << 20;

export class TarWriter {
  readonly #fh: FileHandle;
  readonly #hash: Hash = createHash('sha256');
  #buf: Buffer[] = [];
  #buffered = 0;
  #size = 0;

  private constructor(fh: FileHandle) {
    this.#fh = fh;
  }

  static async create(path: string): Promise<TarWriter> {
    return new TarWriter(await open(path, 'wx', 0o644));
  }

  async #write(b: Buffer): Promise<void> {
    this.#buf.push(b);
    this.#buffered += b.length;
    this.#hash.update(b);
    this.#size += b.length;
    if (this.#buffered >= FLUSH_AT) await this.#flush();
  }

  async #flush(): Promise<void> {
    if (this.#buffered === 0) return;
    const all = Buffer.concat(this.#buf);
    this.#buf = [];
    this.#buffered = 0;
    await this.#fh.write(all);
  }

  /** Adds an entry; `content` is a file to stream (type file) of exactly header.size bytes. */
  async add(h: TarHeader, content?: string | Buffer): Promise<void> {
    const size = h.type === 'file' ? (h.size ?? 0) : 0;
    const name = h.type === 'dir' ? `${h.name}/` : h.name;
    const pax: Record<string, string> = {};
    const nameFits = splitName(name);
    if (!nameFits) pax.path = name;
    if (h.linkname !== undefined && (Buffer.byteLength(h.linkname) > 100 || !/^[\x20-\x7e]*$/.test(h.linkname))) pax.linkpath = h.linkname;
    if (size > 0o77777777777) pax.size = String(size);
    if (h.uid > 0o7777777) pax.uid = String(h.uid);
    if (h.gid > 0o7777777) pax.gid = String(h.gid);
    if (Object.keys(pax).length) {
      const body = Buffer.from(Object.entries(pax).map(([k, v]) => paxRecord(k, v)).join(''));
      await this.#write(header({ name: `PaxHeaders/${name.slice(0, 80)}`, type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: h.mtime, size: body.length }, 'x'));
      await this.#write(pad(body));
    }
    // With a PAX path/linkpath, the ustar fields still carry a truncated copy (as GNU tar and Go
    // write them): some readers check them before applying the PAX record.
    const [prefix, base] = nameFits ?? ['', name.slice(0, 100)];
    await this.#write(header({ ...h, size, name: base, linkname: h.linkname }, TYPEFLAG[h.type], prefix, pax));
    if (size === 0) return;
    if (Buffer.isBuffer(content)) await this.#write(pad(content));
    else if (typeof content === 'string') {
      let n = 0;
      for await (const chunk of createReadStream(content, { highWaterMark: 1 << 20 })) {
        const b = chunk as Buffer;
        n += b.length;
        if (n > size) throw new Error(`${content} grew while it was being archived`);
        await this.#write(b);
      }
      if (n !== size) throw new Error(`${content} changed size while it was being archived`);
      if (size % 512) await this.#write(Buffer.alloc(512 - (size % 512)));
    } else throw new Error(`tar entry ${h.name}: content missing`);
  }

  /** Ends the archive; returns its digest ("sha256:…") and size. */
  async finish(): Promise<{ digest: string; size: number }> {
    await this.#write(Buffer.alloc(1024));
    await this.#flush();
    await this.#fh.close();
    return { digest: `sha256:${this.#hash.digest('hex')}`, size: this.#size };
  }

  async abort(): Promise<void> {
    await this.#fh.close().catch(() => undefined);
  }
}

function pad(b: Buffer): Buffer {
  return b.length % 512 ? Buffer.concat([b, Buffer.alloc(512 - (b.length % 512))]) : b;
}

function paxRecord(k: string, v: string): string {
  const body = ` ${k}=${v}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return `${len}${body}`;
}

/** ustar name split into prefix (≤155) and name (≤100), or undefined when it needs a PAX path. */
function splitName(name: string): [string, string] | undefined {
  if (!/^[\x20-\x7e]*$/.test(name)) return undefined;
  if (name.length <= 100) return ['', name];
  for (let i = name.indexOf('/'); i >= 0; i = name.indexOf('/', i + 1)) {
    if (i <= 155 && name.length - i - 1 <= 100 && name.length - i - 1 > 0) return [name.slice(0, i), name.slice(i + 1)];
  }
  return undefined;
}

function octal(n: number, width: number): string {
  const s = Math.min(n, 8 ** (width - 1) - 1).toString(8);
  return s.padStart(width - 1, '0') + '\0';
}

function header(h: TarHeader, typeflag: string, prefix = '', pax: Record<string, string> = {}): Buffer {
  const b = Buffer.alloc(512);
  const str = (s: string, off: number, len: number) => b.write(s, off, len, 'utf8');
  str(h.name, 0, 100);
  str(octal(h.mode & 0o7777, 8), 100, 8);
  str(octal(pax.uid ? 0 : h.uid, 8), 108, 8);
  str(octal(pax.gid ? 0 : h.gid, 8), 116, 8);
  str(octal(pax.size ? 0 : (h.size ?? 0), 12), 124, 12);
  str(octal(Math.max(0, Math.floor(h.mtime)), 12), 136, 12);
  str('        ', 148, 8);
  str(typeflag, 156, 1);
  str(h.linkname ?? '', 157, 100);
  str('ustar\0', 257, 6);
  str('00', 263, 2);
  if (h.type === 'char' || h.type === 'block') {
    str(octal(h.devmajor ?? 0, 8), 329, 8);
    str(octal(h.devminor ?? 0, 8), 337, 8);
  }
  str(prefix, 345, 155);
  let sum = 0;
  for (const x of b) sum += x;
  str(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
  return b;
}
