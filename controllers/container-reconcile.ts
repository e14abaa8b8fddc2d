// The pure decision for one Container object: compare what is wanted (the object, its image) with
// what is (the object's actor, if any, the engine's containers owned by it, and the lifecycle the
// store recorded) and say what to do. Level-triggered: it is called for every event on the key and
// on a periodic resync, and returns nothing to do when both sides agree. The executor
// (container-controller.ts) performs the actions — including pulls: a registry image that is not
// there is pulled because the decision says so, never as a side effect of looking at it.
import type { EngineContainer, ImageHandle } from '../engine/engine.ts';
import type { ContainerEvent, DesiredContainer } from './container-types.ts';
import { specHash } from './hash.ts';
import type { ContainerPhase, PersistedLifecycle } from '../specs/api/containers.ts';
import { byCodeUnit } from '../specs/order.ts';

/** Drift (a container killed or removed behind berth's back) is looked for this often. */
export const RESYNC_MS = 10_000;
/**
 * The resync of a container that runs (or is paused) and agrees with its object: the kubelet's
 * sync frequency (1 min). Its exit watch (the engine's wait) already reports an exit, or a container
 * removed behind berth's back, within seconds; every 10 s, each reconcile's look at the engine was
 * most of what an idle daemon did with hundreds of running containers.
 */
export const STEADY_RESYNC_MS = 60_000;

export type ImageAvailability =
  | { state: 'ready'; image: ImageHandle }
  | { state: 'pending'; reason: string; message?: string }
  | { state: 'failed'; reason: string; message: string }
  /** A registry reference not present, not being pulled, not backing off: to be pulled. */
  | { state: 'missing'; ref: string; always?: boolean };

/** The Container object as read from the store (the DesiredContainer before its hash), and its image. */
export type ContainerDesiredView = Omit<DesiredContainer, 'specHash'> & { image: ImageAvailability };

/** What the actor's snapshot says (for an actor that exists). */
export interface ActorView {
  phase: ContainerPhase;
  specHash: string;
  generation: number;
  pendingSpecHash?: string;
  deleteRequested: boolean;
  containerID?: string;
  imageDigest?: string;
  /** The image waiting reason/message it shows, to avoid resending the same news. */
  imageWaiting?: { reason: string; message?: string };
}

export interface ContainerObservedView {
  actor?: ActorView;
  /** Engine containers owned by this object's name. */
  containers: EngineContainer[];
  /** status.lifecycle in the store (restart count, backoff, stop): what an adopting actor continues from. */
  stored?: PersistedLifecycle;
  /**
   * A client attached before the start is still reading the container's output (Docker's `run
   * --rm`): autoRemove waits until it has, as dockerd removes once the attached streams are done.
   */
  attached?: boolean;
}

export type ContainerAction =
  | { type: 'pull'; ref: string; always?: boolean }
  /** autoRemove (Docker's --rm): the object goes once its container has exited. */
  | { type: 'deleteObject' }
  | { type: 'spawn'; desired: DesiredContainer; adopt?: EngineContainer; stored?: PersistedLifecycle }
  | { type: 'send'; event: ContainerEvent }
  | { type: 'removeStray'; container: EngineContainer; reason: string }
  | { type: 'dropActor' };

export interface Decision<A> {
  actions: A[];
  requeueAfter?: number;
}

/** What a Container waiting for a registry image is told while it is pulled. */
export function pullingImage(ref: string): ImageAvailability & { state: 'pending' } {
  return { state: 'pending', reason: 'Pulling', message: `Pulling image "${ref}"` };
}

/** Phases in which the actor is in the middle of an engine call: containers may be appearing or going. */
export const BUSY_PHASES: ReadonlySet<ContainerPhase> = new Set(['Creating', 'Restarting', 'Stopping', 'Removing']);

function desiredFor(d: ContainerDesiredView, digest: string | undefined): DesiredContainer {
  const { image: _, ...object } = d;
  return { ...object, specHash: specHash(d.spec, digest) };
}

/** Newest first, running before stopped: the one to keep when several match. */
function preference(a: EngineContainer, b: EngineContainer): number {
  const live = (c: EngineContainer) => (c.status === 'running' || c.status === 'paused' ? 1 : 0);
  return live(b) - live(a) || byCodeUnit(b.createdAt, a.createdAt);
}

export function reconcileContainer(
  desired: ContainerDesiredView | undefined,
  observed: ContainerObservedView,
  _now: number,
): Decision<ContainerAction> {
  const actions: ContainerAction[] = [];
  const { actor, containers } = observed;

  // Deleted: stop and remove through the actor, or directly when no actor knows the containers.
  if (!desired) {
    if (actor) {
      if (actor.phase === 'Removed') actions.push({ type: 'dropActor' });
      else if (!actor.deleteRequested) actions.push({ type: 'send', event: { type: 'DELETE' } });
      if (actor.phase !== 'Removed' || containers.length === 0) return { actions };
    }
    for (const c of containers) actions.push({ type: 'removeStray', container: c, reason: 'its Container object was deleted' });
    return { actions };
  }

  // A missing registry image is pulled (IfNotPresent); meanwhile the actor hears that it is pulling.
  if (desired.image.state === 'missing') actions.push({ type: 'pull', ref: desired.image.ref, ...(desired.image.always ? { always: true } : {}) });
  const image = desired.image.state === 'missing' ? pullingImage(desired.image.ref) : desired.image;
  const readyImage = image.state === 'ready' ? image.image : undefined;

  // No actor: first sight of the object, or a daemon restart. Adopt what matches; remove the rest.
  if (!actor || actor.phase === 'Removed') {
    if (actor) actions.push({ type: 'dropActor' });
    const want = desiredFor(desired, readyImage?.digest);
    const matching = containers
      .filter((c) => c.owner?.uid === desired.uid && c.owner.specHash === want.specHash)
      .sort(preference);
    const adopt = actor ? undefined : matching[0];
    for (const c of containers) {
      if (c !== adopt) {
        actions.push({
          type: 'removeStray',
          container: c,
          reason: matching.includes(c) ? 'a duplicate of the adopted container' : 'created from an older spec',
        });
      }
    }
    actions.push({
      type: 'spawn',
      desired: want,
      ...(adopt ? { adopt } : {}),
      ...(adopt && observed.stored ? { stored: observed.stored } : {}),
    });
    if (!adopt) actions.push(...imageNews(image, undefined));
    return { actions, requeueAfter: RESYNC_MS };
  }

  // The actor exists: tell it what changed.
  if (desired.spec.autoRemove && actor.phase === 'Exited' && !actor.deleteRequested) return { actions: observed.attached ? [] : [{ type: 'deleteObject' }] };
  const digest = readyImage?.digest ?? actor.imageDigest;
  const want = desiredFor(desired, digest);
  if (want.specHash !== actor.specHash && want.specHash !== actor.pendingSpecHash) {
    actions.push({ type: 'send', event: { type: 'DESIRED', desired: want } });
  } else if (want.specHash === actor.specHash && (want.generation !== actor.generation || actor.pendingSpecHash)) {
    actions.push({ type: 'send', event: { type: 'DESIRED', desired: want } });
  }
  if (readyImage && readyImage.digest !== actor.imageDigest) {
    actions.push({ type: 'send', event: { type: 'IMAGE_READY', image: readyImage } });
  } else if (!readyImage && (actor.phase === 'Pending' || actor.phase === 'WaitingForImage')) {
    actions.push(...imageNews(image, actor.imageWaiting));
  }

  // Drift: the engine no longer has the actor's container, or it stopped without the watcher noticing.
  if (!BUSY_PHASES.has(actor.phase) && actor.containerID) {
    const mine = containers.find((c) => c.id === actor.containerID);
    if (!mine) {
      actions.push({ type: 'send', event: { type: 'CONTAINER_GONE', containerID: actor.containerID } });
    } else if ((actor.phase === 'Running' || actor.phase === 'Paused') && (mine.status === 'stopped' || mine.status === 'created')) {
      actions.push({
        type: 'send',
        event: mine.exit ? { type: 'EXITED', exit: mine.exit, containerID: mine.id } : { type: 'CONTAINER_GONE', containerID: mine.id },
      });
    }
  }
  if (!BUSY_PHASES.has(actor.phase)) {
    for (const c of containers) {
      if (c.id !== actor.containerID) actions.push({ type: 'removeStray', container: c, reason: 'not the container berth tracks for this object' });
    }
  }
  const steady = actions.length === 0 && (actor.phase === 'Running' || actor.phase === 'Paused');
  return { actions, requeueAfter: steady ? STEADY_RESYNC_MS : RESYNC_MS };
}

type KnownImage = Exclude<ImageAvailability, { state: 'missing' }>;

function imageNews(image: KnownImage, shown: ActorView['imageWaiting']): ContainerAction[] {
  if (image.state === 'ready') return [{ type: 'send', event: { type: 'IMAGE_READY', image: image.image } }];
  if (shown && shown.reason === image.reason && shown.message === image.message) return [];
  return [
    {
      type: 'send',
      event:
        image.state === 'failed'
          ? { type: 'IMAGE_FAILED', reason: image.reason, message: image.message }
          : { type: 'IMAGE_PENDING', reason: image.reason, ...(image.message ? { message: image.message } : {}) },
    },
  ];
}
