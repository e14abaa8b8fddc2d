// The pure decision for one Image object: pull (as pull.policy says), build (when the build
// context, Dockerfile or args changed, or the image is absent) and push; its status holds the
// digest that Containers using the image are created from (a new digest recreates them).
import type { ImageSpec } from '../specs/schema.ts';
import type { ImageHandle } from '../engine/engine.ts';
import type { Decision } from './container-reconcile.ts';

/** pull.policy Always: the registry is asked again this often. */
export const ALWAYS_REPULL_MS = 5 * 60_000;
/** pull.policy Never and absent: looked for again this often (it may be loaded or built meanwhile). */
export const NEVER_RECHECK_MS = 30_000;

export interface ImageStatusView {
  observedGeneration?: number;
  digest?: string;
  /** Build context digest the current image was built from. */
  builtContext?: string;
  pushedDigest?: string;
  /** ms since epoch of the last pull (policy Always). */
  lastPullAt?: number;
}

export interface ImageDesiredView {
  name: string;
  generation: number;
  spec: ImageSpec;
}

export interface ImageObservedView {
  /** The image under spec.ref in the content store. */
  local?: ImageHandle;
  /** Digest of the build context now (builds only). */
  contextDigest?: string;
  status: ImageStatusView;
}

export type ImageAction =
  | { type: 'pull' }
  | { type: 'build'; contextDigest?: string }
  | { type: 'push' }
  | { type: 'ready'; image: ImageHandle }
  | { type: 'missing'; reason: 'ErrImageNeverPull'; message: string };

export function reconcileImage(desired: ImageDesiredView, observed: ImageObservedView, now: number): Decision<ImageAction> {
  const { spec } = desired;
  const { local, status } = observed;
  const actions: ImageAction[] = [];
  let requeueAfter: number | undefined;
  const specChanged = status.observedGeneration !== desired.generation;

  if (spec.build) {
    const contextChanged = observed.contextDigest !== undefined && observed.contextDigest !== status.builtContext;
    if (!local || contextChanged || specChanged) {
      actions.push({ type: 'build', ...(observed.contextDigest ? { contextDigest: observed.contextDigest } : {}) });
    }
  } else {
    const policy = spec.pull?.policy ?? 'IfNotPresent';
    if (policy === 'Never') {
      if (!local) {
        return {
          actions: [
            {
              type: 'missing',
              reason: 'ErrImageNeverPull',
              message: `image "${spec.ref}" is not present and pull.policy is Never: build or load it, or set pull.policy to IfNotPresent`,
            },
          ],
          requeueAfter: NEVER_RECHECK_MS,
        };
      }
    } else if (policy === 'Always') {
      const due = status.lastPullAt === undefined || now - status.lastPullAt >= ALWAYS_REPULL_MS;
      if (!local || specChanged || due) actions.push({ type: 'pull' });
      requeueAfter = due || !local || specChanged ? ALWAYS_REPULL_MS : ALWAYS_REPULL_MS - (now - status.lastPullAt!);
    } else if (!local) {
      actions.push({ type: 'pull' });
    }
  }

  const willChange = actions.length > 0;
  if (spec.push && (willChange || status.pushedDigest !== local?.digest)) actions.push({ type: 'push' });
  if (!willChange && local) actions.push({ type: 'ready', image: local });
  return { actions, ...(requeueAfter !== undefined ? { requeueAfter } : {}) };
}
