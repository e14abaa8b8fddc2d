// Plain data shared by the Container machine (container-machine.ts, its actors and actions), its
// status (status.ts) and the pure reconcile decision (container-reconcile.ts).
import type { ContainerSpec } from '../specs/schema.ts';
import type { ContainerEngine, EngineContainer, ImageHandle } from '../engine/engine.ts';
import type { BackoffState, ExitInfo, PersistedLifecycle, TerminatedState } from '../specs/api/containers.ts';
import type { Clock } from './clock.ts';
import type { PortMapping } from '../specs/api/common.ts';

/** What the Container object asks for, with the hash that decides whether to recreate. */
export interface DesiredContainer {
  name: string;
  uid: string;
  generation: number;
  spec: ContainerSpec;
  /** Hash of spec + resolved image digest (see specHash()). */
  specHash: string;
  /** Made by `berth create` (annotation berth.dev/start: manual): created, then started only by `berth start`. */
  holdStart?: boolean;
}

export type StopIntent = 'recreate' | 'delete' | 'user' | 'liveness';

/** The lifecycle verbs the API may send (stop, start, pause, unpause). */
/** USER_STOP's timeoutSeconds: this stop's grace period instead of the spec's (`stop -t`). */
export type UserEvent = { type: 'USER_STOP'; timeoutSeconds?: number } | { type: 'USER_START' } | { type: 'PAUSE' } | { type: 'UNPAUSE' };

export type ContainerEvent =
  | UserEvent
  | { type: 'DESIRED'; desired: DesiredContainer }
  | { type: 'DELETE' }
  | { type: 'IMAGE_READY'; image: ImageHandle }
  | { type: 'IMAGE_PENDING'; reason: string; message?: string }
  | { type: 'IMAGE_FAILED'; reason: string; message: string }
  // containerID: the container the news is about (the reconcile's drift check); news of another
  // container than the actor's is stale (the actor has moved on since it was looked at) and ignored.
  | { type: 'EXITED'; exit: ExitInfo; containerID?: string }
  | { type: 'CONTAINER_GONE'; containerID?: string }
  | { type: 'LIVENESS_FAILED'; message: string }
  | { type: 'READY_CHANGED'; ready: boolean; message?: string };

/**
 * What an actor is built from: the object, and — when it takes over a container found in the
 * engine (a daemon restart) — that container and the lifecycle the store's status recorded for it.
 * The store's status is the only memory an actor has beyond its own run (see restoreContext()).
 */
export interface MachineInput {
  desired: DesiredContainer;
  /** status.lifecycle as the previous daemon wrote it (restart count, lastState, backoff, stop). */
  stored?: PersistedLifecycle;
  /** A container found in the engine for this object: adopted, not recreated. */
  adopt?: EngineContainer;
}

/** What the machine's effects need. */
export interface MachineDeps {
  engine: Pick<ContainerEngine, 'create' | 'start' | 'stop' | 'remove' | 'wait' | 'pause' | 'resume' | 'probe'>;
  clock: Clock;
  /** A fresh container id (64 hex characters). */
  newContainerID(): string;
  /** Records a Kubernetes-style event about the container. */
  record(name: string, uid: string, type: 'Normal' | 'Warning', reason: string, message: string): void;
  /** Delay before retrying a failed removal. */
  removeRetryMs?: number;
  /** Runs a create or start (with its create) when its turn comes (slots.ts); at once without it. */
  admit?<T>(fn: () => Promise<T>, signal: AbortSignal): Promise<T>;
}

export interface ImageCondition {
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message?: string;
}

/** One actor's working memory; written to the store's status after every transition (status.ts). */
export interface MachineContext {
  desired: DesiredContainer;
  image?: ImageHandle;
  imageCondition: ImageCondition;
  containerID?: string;
  pid: number;
  startedAt?: string;
  ipAddress?: string;
  ports?: PortMapping[];
  restartCount: number;
  lastState?: TerminatedState;
  backoff?: BackoffState;
  /** The wait of the current BackOff. */
  backoffDelayMs: number;
  ready: boolean;
  readyMessage?: string;
  /** Why the container is not running, when it is waiting (kubelet's waiting.reason). */
  waiting?: { reason: string; message?: string };
  stopIntent?: StopIntent;
  /** The grace period a user's stop asked for (`stop -t`), for this stop only. */
  stopTimeoutSeconds?: number;
  /** A spec change received while busy: applied by recreating. */
  pendingDesired?: DesiredContainer;
  deleteRequested: boolean;
  userStopped: boolean;
  failure?: { reason: string; message: string };
  /** How the adopted container was found at spawn (cleared once used). */
  adopted?: 'running' | 'exited' | 'created';
}
