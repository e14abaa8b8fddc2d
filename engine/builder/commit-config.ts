// `commit`'s image configuration, as Docker makes it: the container's image config, with the
// container's own run config (Cmd, Entrypoint, Env, WorkingDir, User, ExposedPorts, Labels) over
// it, then the `-c` changes — Dockerfile instructions, parsed and applied by the builder's own
// code — and a history entry and diff id for the new layer. Pure: tested on plain objects.
import { InvalidArgumentError } from '../../specs/errdefs.ts';
import type { ImageConfigView } from '../../specs/docker/inspect.ts';
import { applyMeta, isMetaCommand, type DispatchContext, type StageState } from './dispatch.ts';
import { parseDockerfile } from './dockerfile.ts';
import { DockerfileError } from './errors.ts';
import type { ImageConfig } from './image-config.ts';

/** The instructions `docker commit --change` accepts (moby's validCommitCommands). */
export const COMMIT_CHANGES = ['CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'HEALTHCHECK', 'LABEL', 'ONBUILD', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR'];

export interface CommitRequest {
  /** The container's image configuration. */
  base: ImageConfig;
  /** The container's run configuration (Docker's Config of `inspect`). */
  container: ImageConfigView;
  /** The new layer's diff id (its uncompressed digest). */
  diffId: string;
  /** What the container runs, as history's created_by shows it ("sleep 1000"). */
  createdBy: string;
  changes?: string[];
  message?: string;
  author?: string;
  now: string;
}

export function commitConfig(r: CommitRequest): ImageConfig {
  const base = structuredClone(r.base);
  const c = r.container;
  const config = {
    ...base.config,
    ...(c.Cmd !== undefined ? { Cmd: c.Cmd } : {}),
    ...(c.Entrypoint !== undefined ? { Entrypoint: c.Entrypoint } : {}),
    ...(c.Env ? { Env: c.Env } : {}),
    ...(c.WorkingDir !== undefined ? { WorkingDir: c.WorkingDir } : {}),
    ...(c.User !== undefined ? { User: c.User } : {}),
    ...(c.ExposedPorts && Object.keys(c.ExposedPorts).length ? { ExposedPorts: c.ExposedPorts } : {}),
    ...(c.Labels && Object.keys(c.Labels).length ? { Labels: c.Labels } : {}),
  };
  const state: StageState = { image: { ...base, config }, args: new Map(), cmdSet: false };
  applyChanges(state, r.changes ?? []);
  const image = state.image;
  return {
    ...image,
    created: r.now,
    ...(r.author ? { author: r.author } : {}),
    rootfs: { type: 'layers', diff_ids: [...(base.rootfs?.diff_ids ?? []), r.diffId] },
    history: [
      ...(base.history ?? []),
      { created: r.now, created_by: r.createdBy, ...(r.message ? { comment: r.message } : {}), ...(r.author ? { author: r.author } : {}) },
    ],
  };
}

/** Each change is one Dockerfile instruction; an error names the change it is in. */
function applyChanges(state: StageState, changes: string[]): void {
  const ctx: DispatchContext = { file: '--change', escape: '\\', buildArgs: new Map(), metaArgs: new Map(), usedBuildArgs: new Set() };
  for (const change of changes) {
    const keyword = change.trim().split(/\s+/, 1)[0]!.toUpperCase();
    if (!COMMIT_CHANGES.includes(keyword)) {
      throw new InvalidArgumentError(`--change "${change}": ${keyword || 'an empty change'} is not a valid change command; use one of ${COMMIT_CHANGES.join(', ')}`);
    }
    try {
      const cmd = parseDockerfile(`FROM scratch\n${change}\n`, '--change').stages[0]!.commands[0]!;
      if (isMetaCommand(cmd)) applyMeta(cmd, state, ctx);
    } catch (err) {
      if (err instanceof DockerfileError) throw new InvalidArgumentError(`--change "${change}": ${err.message.replace(/^--change:\d+:\d+: /, '')}`, { cause: err });
      throw err;
    }
  }
}
