// The Dockerfile builder: parses, picks the stages the target needs, and runs their instructions
// in order. Config-only instructions edit the image config (dispatch.ts); RUN, COPY and ADD each
// make a layer in a fresh overlay over the parent's layers (layers.ts), cached under
// <root>/build/cache by (parent step, config, instruction after substitution, source content):
// an unchanged step reuses its layer without mounting anything, so an unchanged rebuild costs a
// parse, a stat walk of the sources and one image commit.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, resolve as resolvePath } from 'node:path';
import { InvalidArgumentError, NotFoundError } from '../../specs/errdefs.ts';
import { writeFileAtomic } from '../fs-atomic.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { BuildContext, FileHashCache } from './context.ts';
import { parseDockerfile, type Dockerfile, type Stage } from './dockerfile.ts';
import { DockerfileError } from './errors.ts';
import { scratchImage, nopCreatedBy, withBuildLabels, type ImageConfig } from './image-config.ts';
import { hostPlatform, platformName } from '../images/types.ts';
import { applyMeta, expander, isMetaCommand, shellOf, substitutionEnv, type DispatchContext, type StageState } from './dispatch.ts';
import { parseCommand, type Command } from './instructions.ts';
import { lex } from './lexer.ts';
import { LayerStore, type LayerInfo } from './layers.ts';
import { chainIdOf } from '../snapshots/snapshotter.ts';
import type { ImageService } from '../images/service.ts';
import { ImageServicePort } from './image-store-adapter.ts';
import type { BaseImage, BuildImageStore } from './deps.ts';
import { doLayerStep, layerStepKey, type LayerStepPlan } from './steps.ts';
import { BUILD_CONTAINER_PREFIX } from './run-step.ts';

export { StepFailedError } from './steps.ts';
import { expandWord } from './words.ts';
import type { BuildEvent, BuiltImage } from '../../specs/api/images.ts';
import { isoTime } from '../../specs/timestamps.ts';

export interface BuildOptions {
  /** The context directory. */
  context: string;
  /** The Dockerfile: relative to the context, or absolute (default "Dockerfile"). */
  dockerfile?: string;
  buildArgs?: Record<string, string>;
  /** `--label`: on the image made, over the Dockerfile's. */
  labels?: Record<string, string>;
  target?: string;
  noCache?: boolean;
  tags: string[];
  /** RUN's network: "none"/"default" (its own empty namespace) or "host". */
  network?: 'default' | 'none' | 'host';
  /** Clamp file mtimes in new layers to this (seconds): reproducible layers. */
  sourceDateEpoch?: number;
  signal?: AbortSignal;
}

export interface BuildResult extends BuiltImage {
  /** Steps that ran / were taken from the cache. */
  built: number;
  cached: number;
}

interface StageResult {
  state: StageState;
  layers: LayerInfo[];
  /** Cache key of the stage's last state. */
  key: string;
}

export interface BuilderOptions {
  /** Data root: the builder keeps <root>/build. */
  root: string;
  /** cgroup parent of RUN containers (default "berth-build"). */
  cgroupParent?: string;
}

export class Builder {
  readonly #images: BuildImageStore;
  readonly #runtime: Runtime;
  readonly #buildRoot: string;
  readonly #cgroupParent: string | undefined;
  readonly layers: LayerStore;
  readonly #hashes = new FileHashCache();
  /** Leftovers of a daemon that died mid-build are cleaned once, before the first build. */
  #recovered: Promise<void> | undefined;

  /** `images`: the ImageService (or any store with the builder's port, e.g. in tests). */
  constructor(images: ImageService | BuildImageStore, runtime: Runtime, o: BuilderOptions) {
    this.#images = 'getImage' in images ? images : new ImageServicePort(images);
    this.#runtime = runtime;
    this.#buildRoot = join(o.root, 'build');
    this.#cgroupParent = o.cgroupParent;
    this.layers = new LayerStore(this.#buildRoot);
  }

  async #readDockerfile(context: string, dockerfile = 'Dockerfile'): Promise<{ text: string; name: string }> {
    const path = isAbsolute(dockerfile) ? dockerfile : resolvePath(context, dockerfile);
    try {
      // Errors name it as the user knows it: relative to the context when inside it.
      const rel = relative(context, path);
      return { text: await readFile(path, 'utf8'), name: rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : basename(path) };
    } catch (err) {
      throw new NotFoundError(`cannot read the Dockerfile ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; pass -f PATH or add a Dockerfile to the context`);
    }
  }

  /** A digest of everything a build of this spec reads: changes → the image must be rebuilt. */
  async contextDigest(o: { context: string; dockerfile?: string; args?: Record<string, string>; target?: string }): Promise<string> {
    const ctx = await BuildContext.open(o.context, this.#hashes);
    const { text } = await this.#readDockerfile(ctx.root, o.dockerfile);
    const h = createHash('sha256');
    h.update(JSON.stringify({ dockerfile: text, args: Object.entries(o.args ?? {}).sort(), target: o.target ?? '' }));
    h.update(await ctx.hashAll());
    return `sha256:${h.digest('hex')}`;
  }

  async build(o: BuildOptions, onProgress: (e: BuildEvent) => void = () => undefined): Promise<BuildResult> {
    // Without tags the image is kept untagged (dangling, `<none>`), as `docker build .` keeps it.
    await this.recover();
    const ctx = await BuildContext.open(o.context, this.#hashes);
    const { text, name } = await this.#readDockerfile(ctx.root, o.dockerfile);
    const df = parseDockerfile(text, name);
    const buildArgs = new Map(Object.entries(o.buildArgs ?? {}));
    const used = new Set<string>();
    const metaArgs = evalMetaArgs(df, { file: df.file, escape: df.directives.escape, buildArgs, metaArgs: new Map(), usedBuildArgs: used });
    const dctx: DispatchContext = { file: df.file, escape: df.directives.escape, buildArgs, metaArgs, usedBuildArgs: used };
    const metaEnv = new Map([...metaArgs].filter((e): e is [string, string] => e[1] !== undefined));
    const target = pickTarget(df, o.target);
    const needed = neededStages(df, target, metaEnv);
    const results = new Map<number, StageResult>();
    let built = 0;
    let cached = 0;
    const network = o.network === 'host' ? 'host' : 'none';
    // SOURCE_DATE_EPOCH (an option, or the build arg BuildKit reads): file times in new layers are
    // clamped to it and history dates are it, so the same inputs give the same image digest.
    const epochArg = o.sourceDateEpoch ?? (buildArgs.has('SOURCE_DATE_EPOCH') ? Number(buildArgs.get('SOURCE_DATE_EPOCH')) : undefined);
    if (epochArg !== undefined && !(Number.isInteger(epochArg) && epochArg >= 0)) throw new InvalidArgumentError(`SOURCE_DATE_EPOCH must be whole seconds since 1970, not "${buildArgs.get('SOURCE_DATE_EPOCH')}"`);
    const epoch = epochArg;
    const total = needed.reduce((n, i) => n + 1 + df.stages[i]!.commands.length, 0);
    let stepNo = 0;
    await mkdir(join(this.#buildRoot, 'cache'), { recursive: true });
    for (const index of needed) {
      const stage = df.stages[index]!;
      const label = stage.name ?? String(index);
      o.signal?.throwIfAborted();
      const fromText = expandWord(stage.from.image, metaEnv, df.directives.escape);
      checkPlatform(df, stage, metaEnv);
      onProgress({ type: 'step', stage: label, step: ++stepNo, steps: total, text: `FROM ${fromText}${stage.name ? ` AS ${stage.name}` : ''}`, cached: false, line: stage.from.line });
      const base = await this.#from(df, stage, fromText, results, (t) => onProgress({ type: 'output', stream: 'stdout', text: `${t}\n` }));
      const state: StageState = { image: base.state.image, args: new Map(), cmdSet: false };
      let layers = base.layers;
      let key = base.key;
      // The base image's ONBUILD triggers run first, then are not inherited.
      const triggers = state.image.config.OnBuild ?? [];
      state.image.config.OnBuild = null;
      const commands: Command[] = [...triggers.map((t) => parseTrigger(t, df, stage)), ...stage.commands];
      for (const cmd of commands) {
        o.signal?.throwIfAborted();
        const number = ++stepNo;
        if (isMetaCommand(cmd)) {
          const text = applyMeta(cmd, state, dctx);
          onProgress({ type: 'step', stage: label, step: number, steps: total, text: cmd.original, cached: false, line: cmd.line });
          state.image.history = [...(state.image.history ?? []), { created: lastCreated(state.image), created_by: nopCreatedBy(shellOf(state), text), empty_layer: true }];
          continue;
        }
        const plan: LayerStepPlan = {
          cmd: cmd as LayerStepPlan['cmd'],
          state,
          dctx,
          context: ctx,
          network: cmd.keyword === 'RUN' && cmd.flags.network ? (expandWord(cmd.flags.network, substitutionEnv(state)) === 'host' ? 'host' : 'none') : network,
          resolveFrom: (ref) => this.#fromSource(df, stage.index, ref, results),
          df,
          images: this.#images,
          layersStore: this.layers,
          hashes: this.#hashes,
          buildRoot: this.#buildRoot,
        };
        const stepKey = await layerStepKey(plan, epoch !== undefined ? `${key}@${epoch}` : key);
        const hit = o.noCache ? undefined : await this.#cacheGet(stepKey.key);
        onProgress({ type: 'step', stage: label, step: number, steps: total, text: cmd.original, cached: !!hit, line: cmd.line });
        let record: CacheRecord;
        let layer: LayerInfo | undefined;
        if (hit) {
          ({ record, layer } = hit);
          cached++;
        } else {
          const out = await doLayerStep(plan, stepKey, layers, {
            runtime: this.#runtime,
            ...(this.#cgroupParent ? { cgroupParent: this.#cgroupParent } : {}),
            ...(o.signal ? { signal: o.signal } : {}),
            onOutput: (stream, t) => onProgress({ type: 'output', stream, text: t }),
            ...(epoch !== undefined ? { epoch } : {}),
          });
          const created = isoTime(epoch !== undefined ? epoch * 1000 : Date.now());
          record = { ...(out.layer ? { layer: stripDir(out.layer) } : {}), createdBy: stepKey.createdBy, created };
          await this.#cachePut(stepKey.key, record);
          built++;
        }
        if (record.layer) {
          layer ??= (await this.layers.get(record.layer.chainId))!;
          layers = [...layers, layer];
          state.image.rootfs.diff_ids = [...state.image.rootfs.diff_ids, layer.diffId];
        }
        state.image.history = [...(state.image.history ?? []), { created: record.created, created_by: record.createdBy, comment: 'buildkit.dockerfile.v0', ...(record.layer ? {} : { empty_layer: true }) }];
        key = stepKey.key;
      }
      results.set(index, { state, layers, key });
    }
    const unused = [...buildArgs.keys()].filter((k) => !dctx.usedBuildArgs.has(k) && !isPredefined(k) && !metaArgs.has(k));
    if (unused.length) onProgress({ type: 'warning', text: `one or more build-args [${unused.join(' ')}] were not consumed` });
    const final = results.get(target.index)!;
    const image: ImageConfig = withBuildLabels({ ...final.state.image, created: lastCreated(final.state.image) }, o.labels ?? {}, shellOf(final.state), lastCreated(final.state.image));
    const committed = await this.#images.commitImage({
      config: image,
      layers: final.layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
      tags: o.tags,
    });
    onProgress({ type: 'done', image: committed });
    return { ...committed, built, cached };
  }

  async #from(df: Dockerfile, stage: Stage, ref: string, results: Map<number, StageResult>, log: (t: string) => void): Promise<StageResult> {
    const prev = findStage(df, ref, stage.index);
    if (prev !== undefined) {
      const r = results.get(prev)!;
      return { state: { ...r.state, image: structuredClone(r.state.image) }, layers: r.layers, key: r.key };
    }
    if (ref.toLowerCase() === 'scratch') return { state: { image: scratchImage(), args: new Map(), cmdSet: false }, layers: [], key: 'scratch' };
    if (!ref) throw new DockerfileError({ file: df.file, line: stage.from.line, col: stage.from.col }, 'FROM', `"${stage.from.image}" expands to an empty image name; pass it with --build-arg or give the ARG a default`);
    let img;
    try {
      img = await this.#images.getImage(ref, log);
    } catch (err) {
      throw new DockerfileError({ file: df.file, line: stage.from.line, col: stage.from.col }, 'FROM', `image "${ref}": ${(err as Error).message}`, { cause: err });
    }
    const layers = await this.unpackImage(img);
    const image = structuredClone(img.config);
    image.history ??= [];
    return { state: { image, args: new Map(), cmdSet: false }, layers, key: img.digest };
  }

  /** COPY --from=ref: an earlier stage's result, or an image (pulled if needed). */
  async #fromSource(df: Dockerfile, before: number, ref: string, results: Map<number, StageResult>): Promise<{ key: string; layers: LayerInfo[] }> {
    const idx = findStage(df, ref, before);
    if (idx !== undefined) {
      const r = results.get(idx);
      if (!r) throw new InvalidArgumentError(`stage ${ref} has not been built`);
      return { key: r.key, layers: r.layers };
    }
    if (/^\d+$/.test(ref)) throw new InvalidArgumentError(`stage ${ref} is not an earlier stage`);
    const img = await this.#images.getImage(ref);
    return { key: img.digest, layers: await this.unpackImage(img) };
  }

  /** The layers of an image, unpacked by the image store's snapshotter (once, shared). */
  async unpackImage(img: BaseImage): Promise<LayerInfo[]> {
    const diffIds = img.config.rootfs?.diff_ids ?? [];
    if (diffIds.length !== img.layers.length) throw new InvalidArgumentError(`image ${img.ref}: its config lists ${diffIds.length} diff ids for ${img.layers.length} layers`);
    const dirs = await this.#images.layerDirs(img);
    const out: LayerInfo[] = [];
    let parent: string | undefined;
    for (const [i, desc] of img.layers.entries()) {
      const chainId = chainIdOf(parent, diffIds[i]!);
      out.push({ chainId, diffId: diffIds[i]!, digest: desc.digest, size: desc.size, mediaType: desc.mediaType, dir: dirs[i]! });
      parent = chainId;
    }
    return out;
  }

  /** A step's cache record, and its layer as the layer store has it (read once, used by the build). */
  async #cacheGet(key: string): Promise<{ record: CacheRecord; layer?: LayerInfo } | undefined> {
    try {
      // Read synchronously: a small file of the daemon's own root, in the page cache; an unchanged
      // rebuild reads one per step, and a thread-pool round trip each is most of its time on a busy host.
      const record = JSON.parse(readFileSync(join(this.#buildRoot, 'cache', `${key}.json`), 'utf8')) as CacheRecord;
      if (!record.layer) return { record };
      // Usable only while its layer is unpacked and its blob is in the content store.
      const layer = await this.layers.get(record.layer.chainId);
      if (!layer || !(await this.#images.hasBlob(record.layer.digest))) return undefined;
      return { record, layer };
    } catch {
      return undefined;
    }
  }

  async #cachePut(key: string, r: CacheRecord): Promise<void> {
    await writeFileAtomic(join(this.#buildRoot, 'cache', `${key}.json`), JSON.stringify(r));
  }

  /**
   * What a daemon killed mid-build left: RUN steps' containers (their runtime records, and whatever
   * still runs in them) and the steps' work directories. Once, before the first build; the daemon
   * starts it when it starts.
   */
  recover(): Promise<void> {
    return (this.#recovered ??= (async () => {
      for (const c of await this.#runtime.list()) {
        if (c.id.startsWith(BUILD_CONTAINER_PREFIX)) await this.#runtime.delete(c.id, { force: true }).catch(() => undefined);
      }
      await this.layers.cleanWork();
    })());
  }

  /** Removes the build cache (records, unpacked layers, leftovers). */
  async prune(): Promise<void> {
    await this.layers.cleanWork();
    await rm(this.#buildRoot, { recursive: true, force: true });
  }
}

interface CacheRecord {
  /** Absent: the step changed nothing (no layer). */
  layer?: Omit<LayerInfo, 'dir'>;
  createdBy: string;
  created: string;
}

function stripDir(l: LayerInfo): Omit<LayerInfo, 'dir'> {
  const { dir: _dir, ...rest } = l;
  return rest;
}

/** The time of the newest history entry: metadata steps and a fully cached build keep their dates. */
function lastCreated(img: ImageConfig): string {
  const h = img.history ?? [];
  for (let i = h.length - 1; i >= 0; i--) if (h[i]!.created) return h[i]!.created!;
  return img.created ?? '1970-01-01T00:00:00Z';
}

function isPredefined(k: string): boolean {
  return /^(HTTPS?|FTP|NO|ALL)_PROXY$/i.test(k) || k === 'SOURCE_DATE_EPOCH';
}

/** BuildKit's automatic platform ARGs: in the global scope, and in a stage once it declares them. */
function platformArgs(): Array<[string, string]> {
  const p = hostPlatform();
  const platform = platformName(p);
  const out: Array<[string, string]> = [];
  for (const side of ['TARGET', 'BUILD']) out.push([`${side}PLATFORM`, platform], [`${side}OS`, p.os], [`${side}ARCH`, p.architecture], [`${side}VARIANT`, p.variant ?? '']);
  return out;
}

/** FROM --platform: this host's platform only (berth does not emulate other architectures). */
function checkPlatform(df: Dockerfile, stage: Stage, metaEnv: Map<string, string>): void {
  const flag = stage.from.flags.platform;
  if (flag === undefined) return;
  const want = expandWord(flag, metaEnv, df.directives.escape);
  const host = new Map(platformArgs()).get('BUILDPLATFORM')!;
  const [os, arch] = want.split('/');
  if (os !== hostPlatform().os || (arch !== undefined && arch !== hostPlatform().architecture)) {
    throw new DockerfileError({ file: df.file, line: stage.from.line, col: stage.from.col }, 'FROM', `--platform=${want}: berth builds for this host's platform (${host}) only`);
  }
}

function evalMetaArgs(df: Dockerfile, dctx: DispatchContext): Map<string, string | undefined> {
  const vals = new Map<string, string | undefined>(platformArgs());
  for (const cmd of df.metaArgs) {
    for (const a of cmd.args) {
      const env = new Map([...vals].filter((e): e is [string, string] => e[1] !== undefined));
      let v: string | undefined;
      if (dctx.buildArgs.has(a.name)) {
        v = dctx.buildArgs.get(a.name);
        dctx.usedBuildArgs.add(a.name);
      } else if (a.value !== undefined) v = expander(dctx, { line: cmd.line, col: cmd.col, keyword: 'ARG' }, env).word(a.value);
      vals.set(a.name, v);
    }
  }
  return vals;
}

function pickTarget(df: Dockerfile, target: string | undefined): Stage {
  if (target === undefined) return df.stages[df.stages.length - 1]!;
  const s = df.stages.find((st) => st.name === target.toLowerCase());
  if (!s) throw new InvalidArgumentError(`target stage "${target}" could not be found in ${df.file} (stages: ${df.stages.map((x) => x.name ?? x.index).join(', ')})`);
  return s;
}

/** The stage a FROM or --from names (by name, or by index), if it is an earlier stage. */
export function findStage(df: Dockerfile, ref: string, before: number): number | undefined {
  const byName = df.stages.find((s) => s.name === ref.toLowerCase() && s.index < before);
  if (byName) return byName.index;
  if (/^\d+$/.test(ref) && Number(ref) < before) return Number(ref);
  return undefined;
}

/** The stages the target depends on (FROM another stage, COPY --from=stage), in build order. */
function neededStages(df: Dockerfile, target: Stage, metaEnv: Map<string, string>): number[] {
  const need = new Set<number>();
  const visit = (i: number) => {
    if (need.has(i)) return;
    need.add(i);
    const s = df.stages[i]!;
    const from = findStage(df, expandWord(s.from.image, metaEnv, df.directives.escape), i);
    if (from !== undefined) visit(from);
    for (const c of s.commands) {
      const f = c.keyword === 'COPY' ? c.flags.from : undefined;
      if (f === undefined) continue;
      const dep = findStage(df, expandWord(f, metaEnv, df.directives.escape), i);
      if (dep !== undefined) visit(dep);
    }
  };
  visit(target.index);
  return [...need].sort((a, b) => a - b);
}

function parseTrigger(text: string, df: Dockerfile, stage: Stage): Command {
  const { instructions } = lex(`${text}\n`, df.file);
  const raw = instructions[0];
  if (!raw) throw new DockerfileError({ file: df.file, line: stage.from.line, col: stage.from.col }, 'FROM', `the base image has an empty ONBUILD trigger`);
  // Located at the FROM line: that is where the trigger runs.
  return parseCommand({ ...raw, line: stage.from.line, col: stage.from.col, endLine: stage.from.line }, df.file, df.directives.escape);
}

