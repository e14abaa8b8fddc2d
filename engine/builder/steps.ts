// The steps that make a layer — RUN, COPY, ADD: their cache key (computed without touching the
// rootfs) and their execution in a fresh overlay over the parent layers.
import { createHash, randomBytes } from 'node:crypto';
import { chmod, chown, copyFile, mkdir, open, rm, stat, utimes } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { writeChunks } from '../content/chunks.ts';
import { InvalidArgumentError } from '../../specs/errdefs.ts';
import { send, type RegistryResponse } from '../registry/transport.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { BuildContext, type FileHashCache, type SourceEntry } from './context.ts';
import { copySources, extractArchive, imageDest, isArchive, parseChmod, parseChown, writeHeredoc, type CopyOptions } from './copy.ts';
import { writeLayer } from './diff.ts';
import type { Dockerfile } from './dockerfile.ts';
import { argsPrefix, argvOf, expander, locatedFail, runEnv, shellOf, substitutionEnv, type DispatchContext, type StageState } from './dispatch.ts';
import type { Command } from './instructions.ts';
import type { LayerInfo, LayerStore } from './layers.ts';
import { chainIdOf } from '../snapshots/snapshotter.ts';
import type { Heredoc } from './lexer.ts';
import { LAYER_TAR, type BuildImageStore } from './deps.ts';
import { heredocArgv, runStep } from './run-step.ts';
import { resolveInRoot } from './rootfs-path.ts';

export interface LayerStepPlan {
  cmd: Extract<Command, { keyword: 'RUN' | 'COPY' | 'ADD' }>;
  state: StageState;
  dctx: DispatchContext;
  context: BuildContext;
  network: 'none' | 'host';
  /** Where COPY --from=X takes its files: an earlier stage or an image, as layers + cache key. */
  resolveFrom: (ref: string) => Promise<{ key: string; layers: LayerInfo[] }>;
  df: Dockerfile;
  images: BuildImageStore;
  layersStore: LayerStore;
  hashes: FileHashCache;
  buildRoot: string;
}

/** Everything a step needs once its key is known (resolved sources, downloads, argv). */
export interface StepKey {
  key: string;
  createdBy: string;
  run?: { args: string[]; env: string[]; script?: string };
  copy?: {
    sources: SourceEntry[];
    from?: { layers: LayerInfo[] };
    srcs: string[];
    heredocs: Array<Heredoc & { text: string }>;
    urls: Array<{ url: string; file: string; mtime?: Date }>;
    dest: string;
    chown?: string;
    chmod?: string;
  };
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/** Substitutes $VAR and ${VAR} in a heredoc body, leaving quotes and everything else alone. */
function expandHeredoc(text: string, env: Map<string, string>): string {
  return text.replace(/\\\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (m, a: string | undefined, b: string | undefined) => (m === '\\$' ? '$' : (env.get((a ?? b)!) ?? '')));
}

export async function layerStepKey(p: LayerStepPlan, parentKey: string): Promise<StepKey> {
  const { cmd, state } = p;
  const env = substitutionEnv(state);
  const ex = expander(p.dctx, cmd, env);
  const cfg = JSON.stringify(state.image.config);
  if (cmd.keyword === 'RUN') {
    const shell = shellOf(state);
    let args: string[];
    let script: string | undefined;
    if (cmd.heredocs.length && cmd.form.kind === 'shell') ({ args, script } = heredocArgv(cmd.form.cmd, cmd.heredocs, shell));
    else args = argvOf(cmd.form, state);
    const renv = runEnv(state, p.dctx);
    const createdBy = `RUN ${argsPrefix(state)}${args.join(' ')} # buildkit`;
    const key = sha(JSON.stringify([parentKey, cfg, createdBy, renv, p.network, script ?? '']));
    return { key, createdBy, run: { args, env: renv, ...(script !== undefined ? { script } : {}) } };
  }
  const flags = cmd.flags;
  const chown = flags.chown !== undefined ? ex.word(flags.chown) : undefined;
  const chmod = flags.chmod !== undefined ? ex.word(flags.chmod) : undefined;
  if (chmod !== undefined) {
    try {
      parseChmod(chmod);
    } catch (err) {
      ex.fail((err as Error).message);
    }
  }
  const dest = ex.word(cmd.dest);
  const heredocs: Array<Heredoc & { text: string }> = [];
  const plain: string[] = [];
  const urls: Array<{ url: string; file: string; mtime?: Date }> = [];
  const srcs: string[] = [];
  for (const raw of cmd.sources) {
    const h = /^\d*<<-?(["']?)([A-Za-z_][A-Za-z0-9_.-]*)\1$/.exec(raw);
    const doc = h ? cmd.heredocs.find((d) => d.name === h[2]) : undefined;
    if (doc) {
      heredocs.push({ ...doc, text: doc.expand ? expandHeredoc(doc.content, env) : doc.content });
      srcs.push(raw);
      continue;
    }
    const s = ex.word(raw);
    srcs.push(s);
    if (/^https?:\/\//i.test(s)) {
      if (cmd.keyword !== 'ADD') ex.fail(`source "${s}" is a URL: only ADD downloads URLs`);
      if (flags.from !== undefined) ex.fail('a URL source cannot be used with --from');
      urls.push(await download(s, p.buildRoot, flags.checksum !== undefined ? ex.word(flags.checksum) : undefined, ex.fail));
    } else plain.push(s);
  }
  let sources: SourceEntry[] = [];
  let from: { layers: LayerInfo[] } | undefined;
  let srcHash: string;
  if (flags.from !== undefined) {
    const ref = ex.word(flags.from);
    const f = await p.resolveFrom(ref).catch((err: Error) => ex.fail(`--from=${ref}: ${err.message}`, err));
    from = { layers: f.layers };
    srcHash = sha(JSON.stringify([f.key, plain]));
  } else {
    try {
      sources = await p.context.sources(plain);
    } catch (err) {
      ex.fail((err as Error).message, err);
    }
    srcHash = await p.context.hashSources(sources);
  }
  const urlHash = await Promise.all(urls.map(async (u) => `${u.url} ${await p.hashes.hash(u.file, await stat(u.file))} ${u.mtime?.getTime() ?? ''}`));
  const flagText = [chown !== undefined ? `--chown=${chown}` : '', chmod !== undefined ? `--chmod=${chmod}` : '', flags.from !== undefined ? `--from=${ex.word(flags.from)}` : ''].filter(Boolean).join(' ');
  const createdBy = `${cmd.keyword} ${flagText ? `${flagText} ` : ''}${srcs.join(' ')} ${dest} # buildkit`;
  const key = sha(JSON.stringify([parentKey, cfg, createdBy, srcHash, urlHash, heredocs.map((h) => h.text)]));
  return {
    key,
    createdBy,
    copy: { sources, ...(from ? { from } : {}), srcs: plain, heredocs, urls, dest, ...(chown !== undefined ? { chown } : {}), ...(chmod !== undefined ? { chmod } : {}) },
  };
}

async function download(url: string, buildRoot: string, checksum: string | undefined, fail: (m: string, c?: unknown) => never): Promise<{ url: string; file: string; mtime?: Date }> {
  const dir = join(buildRoot, 'downloads');
  await mkdir(dir, { recursive: true });
  const file = join(dir, randomBytes(8).toString('hex'));
  let res: RegistryResponse;
  try {
    // The registry client's transport (node:http, redirects followed), not the global fetch: its
    // undici would stay in the daemon's memory after the build (transport.ts).
    res = await send(url, { method: 'GET', headers: {}, bulk: true });
  } catch (err) {
    return fail(`cannot download ${url}: ${(err as Error).message}`, err);
  }
  if (!res.ok) {
    await res.cancel();
    return fail(`cannot download ${url}: HTTP ${res.status} ${res.statusText}`);
  }
  const h = createHash('sha256');
  const fh = await open(file, 'w', 0o600);
  try {
    await writeChunks(fh, 0, res.body, (c) => void h.update(c));
  } catch (err) {
    await rm(file, { force: true });
    return fail(`cannot download ${url}: ${(err as Error).message}`, err);
  } finally {
    await fh.close();
  }
  if (checksum !== undefined && checksum !== `sha256:${h.digest('hex')}`) {
    await rm(file, { force: true });
    return fail(`${url}: checksum mismatch (expected ${checksum})`);
  }
  const lm = res.headers.get('last-modified');
  return { url, file, ...(lm && !Number.isNaN(Date.parse(lm)) ? { mtime: new Date(lm) } : {}) };
}

export interface StepRunner {
  runtime: Runtime;
  cgroupParent?: string;
  signal?: AbortSignal;
  onOutput?: (stream: 'stdout' | 'stderr', text: string) => void;
  epoch?: number;
}

export class StepFailedError extends InvalidArgumentError {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** Runs the step in a new overlay, writes its layer and stores it; no layer when nothing changed. */
export async function doLayerStep(p: LayerStepPlan, k: StepKey, layers: LayerInfo[], r: StepRunner): Promise<{ layer?: LayerInfo }> {
  const { cmd, state } = p;
  const fail = locatedFail(p.dctx, cmd);
  const mount = await p.layersStore.mountStep(layers);
  const tarFile = join(p.buildRoot, 'work', `layer-${randomBytes(8).toString('hex')}.tar`);
  const runDir = join(p.buildRoot, 'work', `run-${randomBytes(8).toString('hex')}`);
  try {
    let opacity: ReturnType<typeof mount.opacity> | undefined;
    if (k.run) {
      await mkdir(runDir, { recursive: true });
      const res = await runStep({
        runtime: r.runtime,
        stepDir: runDir,
        rootfs: mount.merged,
        args: k.run.args,
        env: k.run.env,
        workdir: state.image.config.WorkingDir ?? '/',
        user: state.image.config.User ?? '',
        network: p.network,
        ...(k.run.script !== undefined ? { script: k.run.script } : {}),
        ...(r.onOutput ? { onOutput: r.onOutput } : {}),
        ...(r.signal ? { signal: r.signal } : {}),
        ...(r.cgroupParent ? { cgroupParent: r.cgroupParent } : {}),
      });
      if (res.exitCode !== 0) {
        const form = (cmd as Extract<Command, { keyword: 'RUN' }>).form;
        throw new StepFailedError(`${p.df.file}:${cmd.line}:${cmd.col}: RUN ${form.kind === 'shell' ? form.cmd : JSON.stringify(form.args)}: the command returned a non-zero code: ${res.exitCode}${res.signal ? ` (${res.signal})` : ''}`, res.exitCode);
      }
      opacity = mount.opacity();
    } else if (k.copy) {
      await applyCopy(p, k.copy, mount.merged, fail);
    }
    try {
      const { digest, size, entries } = await writeLayer(mount.upper, tarFile, {
        ...(opacity ? { isOpaque: opacity.isOpaque } : {}),
        ...(r.epoch !== undefined ? { epoch: r.epoch } : {}),
      });
      await opacity?.release();
      await mount.unmount();
      // A step that changed nothing adds no layer (its history entry says empty_layer), as BuildKit.
      if (entries === 0) {
        await mount.discard();
        return {};
      }
      await p.images.putBlobFile(tarFile, { mediaType: LAYER_TAR, digest, size });
      const chainId = chainIdOf(layers[layers.length - 1]?.chainId, digest);
      const layer = await p.layersStore.commitStep(mount, { chainId, diffId: digest, digest, size, mediaType: LAYER_TAR });
      return { layer };
    } finally {
      await opacity?.release().catch(() => undefined);
    }
  } catch (err) {
    await mount.discard();
    // A problem of this step (e.g. USER names no user of the image) is reported at its line.
    if (err instanceof InvalidArgumentError && !(err instanceof StepFailedError) && !(err as { location?: unknown }).location) fail(err.message, err);
    throw err;
  } finally {
    await rm(tarFile, { force: true });
    await rm(runDir, { recursive: true, force: true });
  }
}

async function applyCopy(p: LayerStepPlan, c: NonNullable<StepKey['copy']>, rootfs: string, fail: (m: string, cause?: unknown) => never): Promise<void> {
  const cfg = p.state.image.config;
  const o: CopyOptions = { rootfs, workdir: cfg.WorkingDir ?? '/', dest: c.dest };
  try {
    if (c.chown !== undefined) o.owner = await parseChown(c.chown, rootfs);
    if (c.chmod !== undefined) o.mode = parseChmod(c.chmod);
    const several = c.srcs.length + c.heredocs.length + c.urls.length > 1;
    if (several && !imageDest(c.dest, o.workdir).endsWith('/')) fail(`when copying more than one source the destination must be a directory and end with a /, not "${c.dest}"`);
    for (const h of c.heredocs) await writeHeredoc(h.name, h.text, o, several);
    for (const u of c.urls) {
      const name = posix.basename(new URL(u.url).pathname) || 'index.html';
      const dest = imageDest(c.dest, o.workdir);
      const file = dest.endsWith('/') ? posix.join(dest, name) : dest;
      await copyDownloaded(u.file, file, o, u.mtime);
    }
    if (c.from) {
      const view = await p.layersStore.lowerView(c.from.layers);
      try {
        const fromCtx = BuildContext.forRootfs(view.dir, p.hashes);
        const sources = await fromCtx.sources(c.srcs);
        await copySources(fromCtx, sources, o);
      } finally {
        await view.release();
      }
      return;
    }
    if (p.cmd.keyword === 'ADD') {
      for (const src of c.sources) {
        const kind = src.stat.isFile() ? await isArchive(src.abs) : undefined;
        if (kind === 'bzip2' || kind === 'xz') fail(`${src.rel} is a ${kind} archive; berth's ADD extracts tar and tar.gz only: recompress it with gzip`);
        if (kind) await extractArchive(src.abs, `archive ${src.rel}`, o);
        else await copySources(p.context, [src], { ...o, dest: several && !c.dest.endsWith('/') ? `${c.dest}/` : c.dest });
      }
      return;
    }
    if (c.sources.length) await copySources(p.context, c.sources, o);
  } catch (err) {
    if (err instanceof InvalidArgumentError && !(err as { location?: unknown }).location) fail(err.message, err);
    throw err;
  }
}

async function copyDownloaded(from: string, to: string, o: CopyOptions, mtime: Date | undefined): Promise<void> {
  const parent = await resolveInRoot(o.rootfs, posix.dirname(to));
  await mkdir(parent, { recursive: true });
  const host = join(parent, posix.basename(to));
  await rm(host, { recursive: true, force: true });
  await copyFile(from, host);
  await chmod(host, o.mode ?? 0o600);
  await chown(host, o.owner?.uid ?? 0, o.owner?.gid ?? 0);
  if (mtime) await utimes(host, mtime, mtime);
}
