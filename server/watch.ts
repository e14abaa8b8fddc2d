// GitOps: every manifest under a watched directory is applied at start and whenever something
// under it changes (debounced; editors' write-then-rename saves are just more changes). Each sync
// looks at the whole directory (level-triggered), so a lost or coalesced file event cannot leave
// the store behind. Objects remember their file (source `watch:/abs/file`): a deleted file prunes
// exactly its objects; an invalid file keeps its last good objects, yields a Warning event and a
// located log line, and the other files still apply.
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, relative, resolve, sep } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { manifestFilesUnder } from '../specs/files.ts';
import { formatManifestError, loadManifests, type ManifestError, type ManifestInput } from '../specs/load.ts';
import type { Store } from '../store/store.ts';
import { Applier } from './apply.ts';
import type { EventRecorder } from './events.ts';
import type { Logger } from './log.ts';

export const WATCH_SOURCE = 'watch:';

export interface WatchOptions {
  store: Store;
  events: EventRecorder;
  log: Logger;
  /**
   * Quiet time after the last change before a sync (ms). Short: a sync reads the whole directory, so
   * a save seen half-written is synced again when its last write lands. `npm run bench -- watch`,
   * from a write to the object in the store: 300 ms with 250, 74 ms with 50.
   */
  debounceMs?: number;
}

const fileOfSource = (source: string) => (source.startsWith(WATCH_SOURCE) ? source.slice(WATCH_SOURCE.length) : undefined);

export class DirectoryWatcher {
  readonly dir: string;
  readonly #opts: Required<WatchOptions>;
  readonly #applier: Applier;
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #unsubscribe: (() => void) | undefined;
  #stopped = false;
  /** Last problems reported per file, so a file that stays invalid is not logged on every sync. */
  #reported = new Map<string, string>();
  /** Number of completed syncs (tests and logs). */
  syncs = 0;

  constructor(dir: string, opts: WatchOptions) {
    this.dir = resolve(dir);
    this.#opts = { debounceMs: 50, ...opts };
    this.#applier = new Applier(opts.store, opts.events);
  }

  async start(): Promise<void> {
    const st = await stat(this.dir).catch(() => undefined);
    if (!st?.isDirectory()) throw new Error(`--watch ${this.dir}: not a directory; create it or fix the path`);
    await this.#sync();
    this.#watcher = watch(this.dir, {
      ignoreInitial: true,
      atomic: true,
      // Dot-files and dot-directories (editor swap files, .git) are not manifests.
      ignored: (p: string) => relative(this.dir, p).split(sep).some((part) => part.startsWith('.')),
    });
    this.#watcher.on('all', () => this.#schedule());
    // A file may be invalid only for naming an Image that is not there yet: look again when Images change.
    this.#unsubscribe = this.#opts.store.feed.onObject((c) => {
      if (c.kind === 'Image' && c.type !== 'status' && this.#reported.size > 0) this.#schedule();
    });
    this.#watcher.on('error', (err) => this.#opts.log.error('watch error', { dir: this.dir, error: err }));
    await new Promise<void>((r) => this.#watcher!.once('ready', () => r()));
    // Changes made while chokidar was scanning would otherwise go unseen.
    this.#schedule();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#unsubscribe?.();
    await this.#watcher?.close();
    await this.#running;
  }

  #schedule(): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#sync(), this.#opts.debounceMs);
  }

  /** One sync at a time; a change during a sync runs another right after. */
  #sync(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        try {
          await this.#syncOnce();
        } catch (err) {
          this.#opts.log.error('watch sync failed; retrying on the next change', { dir: this.dir, error: err });
        }
        this.syncs++;
      } while (this.#again && !this.#stopped);
    })().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #syncOnce(): Promise<void> {
    const { store, log } = this.#opts;
    const files = await manifestFilesUnder(this.dir).catch(() => undefined);
    if (!files) {
      log.warn('watched directory is gone; keeping its objects until it is back', { dir: this.dir });
      return;
    }
    const inputs: ManifestInput[] = [];
    for (const file of files) {
      // A file removed between listing and reading is picked up by the next sync.
      const text = await readFile(file, 'utf8').catch(() => undefined);
      if (text !== undefined) inputs.push({ file, text });
    }
    const prefix = `${WATCH_SOURCE}${this.dir}${sep}`;
    const present = new Set(inputs.map((i) => i.file));
    const gone = store.listBySource({ prefixes: [prefix] }).map((r) => r.metadata.source).filter((s) => !present.has(fileOfSource(s)!));

    // Narrow down to the files that are valid together: drop the invalid ones and check again
    // (a Container may have named an Image defined in a file that turned out invalid).
    const problems = new Map<string, ManifestError[]>();
    let valid = inputs;
    for (;;) {
      const scope = { sources: [...new Set([...gone, ...valid.map((i) => WATCH_SOURCE + i.file)])] };
      const pruned = new Set(this.#applier.pruneCandidates(scope, []).filter((r) => r.kind === 'Image').map((r) => r.metadata.name));
      const kept = store.list('Image').map((r) => r.metadata.name).filter((n) => !pruned.has(n));
      const { objects, errors } = loadManifests(valid, { knownImages: kept });
      errors.push(...this.#conflicts(objects));
      if (errors.length === 0) break;
      for (const e of errors) problems.set(e.file, [...(problems.get(e.file) ?? []), e]);
      valid = valid.filter((i) => !problems.has(i.file));
    }
    this.#report(problems, present);

    const outcome = this.#applier.apply({
      documents: valid,
      sourceOf: (i) => WATCH_SOURCE + i.file,
      prune: { sources: [...new Set([...gone, ...valid.map((i) => WATCH_SOURCE + i.file)])] },
    });
    for (const r of outcome.results) {
      if (r.action !== 'unchanged') log.info(`${r.kind} ${r.name} ${r.action}`, { source: r.source, generation: r.generation });
    }
    // Fields berth ignores, said where they are (as apply -f says them on stderr).
    for (const w of outcome.warnings ?? []) log.warn(w, { reason: 'IgnoredField' });
  }

  /** An object already owned by a file of another watched directory that still exists is not taken over. */
  #conflicts(objects: ReturnType<typeof loadManifests>['objects']): ManifestError[] {
    const out: ManifestError[] = [];
    for (const o of objects) {
      const owner = this.#opts.store.get(o.manifest.kind, o.manifest.metadata.name)?.metadata.source;
      const ownerFile = owner && fileOfSource(owner);
      if (ownerFile && !ownerFile.startsWith(this.dir + sep) && existsSync(ownerFile)) {
        out.push({
          file: o.file,
          line: o.line,
          col: o.col,
          message: `${o.manifest.kind} "${o.manifest.metadata.name}" is already defined by ${ownerFile} (another watched directory); remove one of the two`,
        });
      }
    }
    return out;
  }

  #report(problems: Map<string, ManifestError[]>, present: Set<string>): void {
    const { log, events } = this.#opts;
    for (const [file, errs] of problems) {
      const text = errs.map(formatManifestError).join('\n');
      if (this.#reported.get(file) === text) continue;
      this.#reported.set(file, text);
      // Its objects (if any) keep their last applied state until the file is fixed.
      for (const e of errs) log.warn(formatManifestError(e), { reason: 'InvalidManifest' });
      events.warning({ kind: 'Manifest', name: file }, 'InvalidManifest', text);
    }
    for (const file of [...this.#reported.keys()]) {
      if (problems.has(file)) continue;
      this.#reported.delete(file);
      if (present.has(file)) {
        log.info('manifest valid again', { file });
        events.normal({ kind: 'Manifest', name: file }, 'ManifestValid', `${basename(file)} is valid again and applied`);
      }
    }
  }
}

/** The watched directories of a daemon, changed as a whole (a reload). */
export class WatchSet {
  readonly #watchers = new Map<string, DirectoryWatcher>();
  readonly #opts: WatchOptions;

  constructor(opts: WatchOptions) {
    this.#opts = opts;
  }

  get dirs(): string[] {
    return [...this.#watchers.keys()];
  }

  /**
   * Watches exactly `dirs`: new ones start first, and if one cannot (not a directory), those just
   * started stop again and nothing changes; then the ones no longer wanted stop.
   */
  async set(dirs: string[]): Promise<void> {
    const wanted = new Set(dirs.map((d) => resolve(d)));
    const started: DirectoryWatcher[] = [];
    try {
      for (const dir of wanted) {
        if (this.#watchers.has(dir)) continue;
        const w = new DirectoryWatcher(dir, { ...this.#opts, log: this.#opts.log.child({ watch: dir }) });
        await w.start();
        started.push(w);
        this.#opts.log.info('watching for manifests', { dir });
      }
    } catch (err) {
      await Promise.all(started.map((w) => w.stop()));
      throw err;
    }
    for (const w of started) this.#watchers.set(w.dir, w);
    for (const [dir, w] of this.#watchers) {
      if (wanted.has(dir)) continue;
      this.#watchers.delete(dir);
      await w.stop();
      this.#opts.log.info('stopped watching for manifests (its objects stay)', { dir });
    }
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#watchers.values()].map((w) => w.stop()));
    this.#watchers.clear();
  }
}
