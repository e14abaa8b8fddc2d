// The content store: an OCI image layout under <root>/content (oci-layout, index.json,
// blobs/sha256/<hex>), so skopeo (`oci:<root>/content:<ref>`) and umoci read what berth stores.
// A blob is written to ingest/, hashed while it is written, checked against the expected digest and
// size, and only then renamed under its digest: a crash or a bad download never leaves a wrong or
// partial blob in blobs/. index.json is replaced atomically (write + fsync + rename).
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { writeFileAtomic, writeFileAtomicSync } from '../fs-atomic.ts';
import { writeChunks, type ChunkSource } from './chunks.ts';
import { InvalidArgumentError, NotFoundError } from '../../specs/errdefs.ts';
import type { Index } from '../images/types.ts';
import { MediaTypes } from '../images/types.ts';
import type { Descriptor } from '../../specs/api/images.ts';
import { imageNameOf, nameAnnotations, REF_NAME_ANNOTATION, IMAGE_NAME_ANNOTATION } from './names.ts';
const DIGEST = /^sha256:([a-f0-9]{64})$/;

export class DigestMismatchError extends InvalidArgumentError {}

/** Fewer bytes than expected arrived (a connection ended early): the ingest is kept for a resume. */
export class TruncatedError extends Error {}

export class ContentStore {
  readonly root: string;
  #indexLock: Promise<unknown> = Promise.resolve();
  #index: { key: string; index: Index } | undefined;

  constructor(root: string) {
    this.root = root;
    mkdirSync(join(root, 'blobs', 'sha256'), { recursive: true });
    mkdirSync(join(root, 'ingest'), { recursive: true });
    if (!existsSync(join(root, 'oci-layout'))) writeFileAtomicSync(join(root, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    if (!existsSync(join(root, 'index.json'))) writeFileAtomicSync(join(root, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [] }));
  }

  blobPath(digest: string): string {
    const m = DIGEST.exec(digest);
    if (!m) throw new InvalidArgumentError(`"${digest}" is not a sha256 digest`);
    return join(this.root, 'blobs', 'sha256', m[1]!);
  }

  has(digest: string): boolean {
    return existsSync(this.blobPath(digest));
  }

  async size(digest: string): Promise<number | undefined> {
    return (await stat(this.blobPath(digest)).catch(() => undefined))?.size;
  }

  async read(digest: string): Promise<Buffer> {
    try {
      return await readFile(this.blobPath(digest));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`blob ${digest} is not in the content store`);
      throw err;
    }
  }

  async readJson<T>(digest: string): Promise<T> {
    return JSON.parse((await this.read(digest)).toString('utf8')) as T;
  }

  openRead(digest: string): Readable {
    return createReadStream(this.blobPath(digest));
  }

  /** Stores bytes; with `expected`, they must match its digest (and size). */
  async put(data: Buffer | string, expected?: { digest: string; size?: number }): Promise<{ digest: string; size: number }> {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    const digest = `sha256:${createHash('sha256').update(buf).digest('hex')}`;
    if (expected) check(expected, digest, buf.length);
    if (this.has(digest)) return { digest, size: buf.length };
    const tmp = join(this.root, 'ingest', `${digest.slice(7)}-${randomBytes(4).toString('hex')}`);
    const fh = await open(tmp, 'w', 0o644);
    try {
      await fh.writeFile(buf);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.blobPath(digest));
    return { digest, size: buf.length };
  }

  /**
   * Streams a blob in, from a Node stream or a chunk source (a registry's bulk GET hands its bytes
   * over in one reused buffer). A keyed ingest left by an interrupted download is continued (the
   * caller fetches the rest with a Range request): the key names the ingest file.
   */
  async putStream(
    src: Readable | ChunkSource,
    expected?: { digest: string; size?: number },
    ingestKey?: string,
    onBytes?: (n: number) => void,
  ): Promise<{ digest: string; size: number }> {
    const tmp = join(this.root, 'ingest', ingestKey ?? `stream-${randomBytes(6).toString('hex')}`);
    const hash = createHash('sha256');
    let size = 0;
    // An ingest to resume: hash what is there first.
    if (ingestKey && existsSync(tmp)) {
      for await (const chunk of createReadStream(tmp)) {
        hash.update(chunk as Buffer);
        size += (chunk as Buffer).length;
      }
    }
    const fh = await open(tmp, size > 0 ? 'r+' : 'w', 0o644);
    let digest: string;
    try {
      try {
        size += await writeChunks(fh, size, src, (chunk) => {
          hash.update(chunk);
          onBytes?.(chunk.length);
        });
      } catch (err) {
        // Kept for a resume when keyed (every byte that arrived is in it); removed otherwise.
        if (!ingestKey) await rm(tmp, { force: true });
        throw err;
      }
      digest = `sha256:${hash.digest('hex')}`;
      if (ingestKey && expected?.size !== undefined && size < expected.size) {
        throw new TruncatedError(`blob ${expected.digest}: the stream ended after ${size} of ${expected.size} bytes`);
      }
      try {
        if (expected) check(expected, digest, size);
      } catch (err) {
        await rm(tmp, { force: true });
        throw err;
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.blobPath(digest));
    return { digest, size };
  }

  /** Bytes already in an ingest (for a Range resume). */
  async ingestedBytes(ingestKey: string): Promise<number> {
    return (await stat(join(this.root, 'ingest', ingestKey)).catch(() => undefined))?.size ?? 0;
  }

  /** Ingests a crash left that nothing can resume (unkeyed ones); a pull's are kept for its retry. Only at start-up. */
  async removeStaleIngests(): Promise<void> {
    for (const name of await readdir(join(this.root, 'ingest')).catch(() => [] as string[])) {
      if (!name.startsWith('pull-')) await rm(join(this.root, 'ingest', name), { force: true });
    }
  }

  async discardIngest(ingestKey: string): Promise<void> {
    await rm(join(this.root, 'ingest', ingestKey), { force: true });
  }

  // ---- index.json: the named roots ----

  /**
   * index.json, parsed once and kept until the file changes (its mtime and inode: every write
   * renames a new file into place). Every image lookup starts here, on each reconcile; callers get
   * a copy they may change.
   */
  index(): Index {
    return structuredClone(this.indexView());
  }

  /** index() without the copy, for a lookup that changes nothing (each create and start resolves its image). */
  indexView(): Readonly<Index> {
    const path = join(this.root, 'index.json');
    const st = statSync(path);
    const key = `${st.ino}:${st.mtimeMs}:${st.size}`;
    if (this.#index?.key !== key) this.#index = { key, index: JSON.parse(readFileSync(path, 'utf8')) as Index };
    return this.#index.index;
  }

  /** Changes index.json under a lock: read, change, write atomically. */
  updateIndex(fn: (index: Index) => void): Promise<void> {
    const next = this.#indexLock.then(async () => {
      const index = this.index();
      const before = JSON.stringify(index);
      fn(index);
      // Nothing changed (a rebuild tagging the same manifest again): no write, no fsync.
      if (JSON.stringify(index) === before) return;
      await writeFileAtomic(join(this.root, 'index.json'), JSON.stringify(index, null, 2), { durable: true });
    });
    this.#indexLock = next.catch(() => undefined);
    return next;
  }

  /**
   * Points `ref` (a normalised reference) at the manifest `desc`, replacing what the ref named
   * before; named as names.ts says (the tag in ref.name, the whole reference beside it).
   */
  setRef(ref: string, desc: Descriptor): Promise<void> {
    return this.updateIndex((index) => {
      // A tag given to an untagged (dangling) image takes the place of its unnamed entry.
      index.manifests = index.manifests.filter((d) => imageNameOf(d) !== ref && (imageNameOf(d) !== undefined || d.digest !== desc.digest));
      const { [REF_NAME_ANNOTATION]: _r, [IMAGE_NAME_ANNOTATION]: _i, ...others } = desc.annotations ?? {};
      index.manifests.push({ mediaType: desc.mediaType, digest: desc.digest, size: desc.size, annotations: { ...others, ...nameAnnotations(ref) } });
    });
  }

  /** Keeps a manifest that no reference names (Docker's dangling image: `<none>`), unless one already does. */
  addUnnamed(desc: Descriptor): Promise<void> {
    return this.updateIndex((index) => {
      if (index.manifests.some((d) => d.digest === desc.digest)) return;
      index.manifests.push({ mediaType: desc.mediaType, digest: desc.digest, size: desc.size });
    });
  }

  /** Drops the unnamed entry of a manifest (a dangling image removed); true when there was one. */
  removeUnnamed(digest: string): Promise<boolean> {
    let removed = false;
    return this.updateIndex((index) => {
      const before = index.manifests.length;
      index.manifests = index.manifests.filter((d) => imageNameOf(d) !== undefined || d.digest !== digest);
      removed = index.manifests.length < before;
    }).then(() => removed);
  }

  removeRef(ref: string): Promise<boolean> {
    let removed = false;
    return this.updateIndex((index) => {
      const before = index.manifests.length;
      index.manifests = index.manifests.filter((d) => imageNameOf(d) !== ref);
      removed = index.manifests.length < before;
    }).then(() => removed);
  }

  /** Every blob digest present. */
  async blobs(): Promise<string[]> {
    return (await readdir(join(this.root, 'blobs', 'sha256'))).map((h) => `sha256:${h}`);
  }

  async deleteBlob(digest: string): Promise<void> {
    await rm(this.blobPath(digest), { force: true });
  }
}

function check(expected: { digest: string; size?: number }, digest: string, size: number): void {
  if (expected.size !== undefined && expected.size !== size) {
    throw new DigestMismatchError(`blob ${expected.digest}: got ${size} bytes, expected ${expected.size}; nothing was stored`);
  }
  if (expected.digest !== digest) {
    throw new DigestMismatchError(`blob ${expected.digest}: the content's digest is ${digest}; nothing was stored (the registry served wrong data)`);
  }
}
