// The build context: a directory and its .dockerignore. COPY/ADD sources are resolved here —
// cleaned, globbed, filtered by .dockerignore — and never leave the directory: `..` above the root,
// and symlinks whose target is absolute or climbs out, are refused (Docker would rebase an absolute
// target into the context; refusing says clearly what is wrong instead of copying something else).
// Content hashes of sources key the build cache; a stat-keyed memo makes an unchanged rebuild cheap.
import { createHash } from 'node:crypto';
import { createReadStream, type Stats } from 'node:fs';
import { lstat, readdir, readFile, readlink, realpath, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { InvalidArgumentError, NotFoundError } from '../../specs/errdefs.ts';
import { IgnoreMatcher, hasGlob, matchComponent } from '../../specs/dockerignore.ts';

/** A source file or directory chosen by COPY/ADD. */
export interface SourceEntry {
  /** Path relative to the context root (posix, no leading "./"); "" is the root itself. */
  rel: string;
  /** Absolute path on the host, all symlinks on the way resolved inside the context. */
  abs: string;
  stat: Stats;
}

/** One file under a source, as it will be copied (symlinks are not followed below the source). */
export interface WalkEntry {
  /** Path relative to the source ("" for the source itself). */
  rel: string;
  abs: string;
  stat: Stats;
}

/** Content hashes memoised by (device, inode, size, mtime, ctime): unchanged files are not read again. */
export class FileHashCache {
  readonly #m = new Map<string, string>();
  async hash(abs: string, st: Stats): Promise<string> {
    const key = `${abs}\0${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
    const hit = this.#m.get(key);
    if (hit) return hit;
    const h = createHash('sha256');
    if (st.size < 1 << 20) h.update(await readFile(abs));
    else for await (const chunk of createReadStream(abs)) h.update(chunk as Buffer);
    const d = h.digest('hex');
    if (this.#m.size > 200_000) this.#m.clear();
    this.#m.set(key, d);
    return d;
  }
}

export class ContextEscapeError extends InvalidArgumentError {}

export class BuildContext {
  private constructor(
    readonly root: string,
    readonly ignore: IgnoreMatcher,
    readonly hashes: FileHashCache,
    /** A stage's or image's rootfs (COPY --from): symlinks resolve as if chrooted, no .dockerignore. */
    readonly chroot = false,
  ) {}

  /** Sources for COPY --from: a mounted rootfs, where absolute symlinks mean its own root. */
  static forRootfs(dir: string, hashes = new FileHashCache()): BuildContext {
    return new BuildContext(dir, new IgnoreMatcher([]), hashes, true);
  }

  static async open(dir: string, hashes = new FileHashCache()): Promise<BuildContext> {
    let root: string;
    try {
      root = await realpath(dir);
      if (!(await stat(root)).isDirectory()) throw new InvalidArgumentError(`build context ${dir} is not a directory`);
    } catch (err) {
      if (err instanceof InvalidArgumentError) throw err;
      throw new NotFoundError(`build context ${dir} does not exist or cannot be read: ${(err as Error).message}`);
    }
    const text = await readFile(join(root, '.dockerignore'), 'utf8').catch(() => '');
    return new BuildContext(root, IgnoreMatcher.parse(text), hashes);
  }

  /** A source path as written in COPY/ADD → a clean context-relative path; `..` leaving it is refused. */
  clean(src: string): string {
    const n = posix.normalize('/' + src).slice(1);
    const climbs = posix.normalize(src.replace(/^\/+/, '')).split('/')[0] === '..';
    if (climbs) throw new ContextEscapeError(`forbidden path outside the build context: ${src}; sources must be inside the context directory ${this.root}`);
    return n.replace(/\/+$/, '');
  }

  /** Follows symlinks component by component, refusing any that leads out of the context. */
  async resolve(rel: string, src: string): Promise<string> {
    const parts = rel ? rel.split('/') : [];
    let cur: string[] = [];
    for (let hops = 0; parts.length > 0; ) {
      const part = parts.shift()!;
      if (part === '' || part === '.') continue;
      if (part === '..') {
        if (cur.length === 0 && this.chroot) continue;
        if (cur.length === 0) throw new ContextEscapeError(`source ${src} leads outside the build context; sources must stay inside ${this.root}`);
        cur.pop();
        continue;
      }
      const abs = join(this.root, ...cur, part);
      const st = await lstat(abs).catch(() => undefined);
      if (st?.isSymbolicLink()) {
        if (++hops > 40) throw new InvalidArgumentError(`source ${src}: too many levels of symbolic links`);
        const target = await readlink(abs);
        if (this.chroot) {
          parts.unshift(...(posix.isAbsolute(target) ? target : posix.join(...cur, target)).split('/').filter((p) => p && p !== '.'));
          cur = [];
          continue;
        }
        if (posix.isAbsolute(target)) throw new ContextEscapeError(`source ${src}: ${[...cur, part].join('/')} is a symlink to ${target}, outside the build context; copy the file into the context instead`);
        const joined = posix.normalize(posix.join(...(cur.length ? cur : ['.']), target));
        if (joined === '..' || joined.startsWith('../')) throw new ContextEscapeError(`source ${src}: ${[...cur, part].join('/')} is a symlink to ${target}, outside the build context; copy the file into the context instead`);
        parts.unshift(...joined.split('/').filter((p) => p && p !== '.'));
        cur = [];
        continue;
      }
      cur.push(part);
    }
    return join(this.root, ...cur);
  }

  /** COPY/ADD sources (globs expanded, .dockerignore applied), in the order Docker copies them. */
  async sources(srcs: string[]): Promise<SourceEntry[]> {
    const out: SourceEntry[] = [];
    for (const src of srcs) {
      const rel = this.clean(src);
      const rels = hasGlob(rel) ? await this.#glob(rel) : [rel];
      const found: SourceEntry[] = [];
      for (const r of rels) {
        if (r !== '' && this.ignore.ignores(r)) continue;
        const abs = await this.resolve(r, src);
        const st = await stat(abs).catch(() => undefined);
        if (st) found.push({ rel: r, abs, stat: st });
      }
      if (found.length === 0) throw new NotFoundError(`${src}: not found in the build context ${this.root} (or excluded by .dockerignore)`);
      out.push(...found);
    }
    return out;
  }

  async #glob(rel: string): Promise<string[]> {
    let paths = [''];
    for (const part of rel.split('/')) {
      const next: string[] = [];
      for (const p of paths) {
        if (!hasGlob(part)) {
          next.push(p ? `${p}/${part}` : part);
          continue;
        }
        const dir = await this.resolve(p, rel).catch(() => undefined);
        const names = dir ? await readdir(dir).catch(() => [] as string[]) : [];
        for (const n of names.sort()) if (matchComponent(part, n)) next.push(p ? `${p}/${n}` : n);
      }
      paths = next;
    }
    return paths;
  }

  /** Every file under a source (itself first), .dockerignore applied, sorted; symlinks below it kept as links. */
  async walk(src: SourceEntry): Promise<WalkEntry[]> {
    const out: WalkEntry[] = [{ rel: '', abs: src.abs, stat: src.stat }];
    if (!src.stat.isDirectory()) return out;
    const visit = async (abs: string, relCtx: string, relSrc: string) => {
      const names = (await readdir(abs)).sort();
      // A directory's entries stat'ed at once (the thread pool's threads side by side), then taken in order.
      const stats = await Promise.all(names.map((name) => lstat(join(abs, name))));
      for (const [i, name] of names.entries()) {
        const ctxRel = relCtx ? `${relCtx}/${name}` : name;
        const child = join(abs, name);
        const st = stats[i]!;
        const srcRel = relSrc ? `${relSrc}/${name}` : name;
        if (st.isDirectory()) {
          if (this.ignore.skipsDir(ctxRel)) continue;
          if (!this.ignore.ignores(ctxRel)) out.push({ rel: srcRel, abs: child, stat: st });
          await visit(child, ctxRel, srcRel);
        } else if (!this.ignore.ignores(ctxRel)) out.push({ rel: srcRel, abs: child, stat: st });
      }
    };
    await visit(src.abs, src.rel, '');
    return out;
  }

  /** Hash of sources' names, types, modes and contents: the cache key part of COPY/ADD. */
  async hashSources(entries: SourceEntry[]): Promise<string> {
    const h = createHash('sha256');
    for (const src of entries) {
      h.update(`source ${src.rel}\n`);
      for (const e of await this.walk(src)) {
        const st = e.stat;
        const kind = st.isDirectory() ? 'd' : st.isSymbolicLink() ? 'l' : st.isFile() ? 'f' : 'o';
        let content = '';
        if (kind === 'f') content = await this.hashes.hash(e.abs, st);
        else if (kind === 'l') content = await readlink(e.abs);
        h.update(`${kind} ${JSON.stringify(e.rel)} ${(st.mode & 0o7777).toString(8)} ${content}\n`);
      }
    }
    return h.digest('hex');
  }

  /** Hash of the whole context (what COPY . would see): Image.spec.build change detection. */
  async hashAll(): Promise<string> {
    const st = await stat(this.root);
    return this.hashSources([{ rel: '', abs: this.root, stat: st }]);
  }
}
