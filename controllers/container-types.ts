// Plain data shared by the Container machine, its status and the pure reconcile decision.
import type { ContainerSpec } from '../specs/schema.ts';
import type { EngineContainer, ImageHandle } from '../engine/engine.ts';
import type { BackoffState, ExitInfo, PersistedLifecycle, TerminatedState } from '../specs/api/containers.ts';

/** What the Container object asks for, with the hash that decides whether to recreate. */
export interface DesiredContainer {
  name: string;
  uid: string;
  generation: number;
  spec: ContainerSpec;
  /** Hash of spec + resolved image digest (see specHash()). */
  specHash: string;
}

export type StopIntent = 'recreate' | 'delete' | 'user' | 'liveness';

export type ContainerEvent =
  | { type: 'DESIRED'; desired: DesiredContainer }
  | { type: 'DELETE' }
  | { type: 'IMAGE_READY'; image: ImageHandle }
  | { type: 'IMAGE_PENDING'; reason: string; message?: string }
  | { type: 'IMAGE_FAILED'; reason: string; message: string }
  | { type: 'EXITED'; exit: ExitInfo }
  | { type: 'CONTAINER_GONE' }
  | { type: 'LIVENESS_FAILED'; message: string }
  | { type: 'READY_CHANGED'; ready: boolean; message?: string }
  | { type: 'USER_STOP' }
  | { type: 'USER_START' }
  | { type: 'PAUSE' }
  | { type: 'UNPAUSE' };

export interface MachineInput {
  desired: DesiredContainer;
  previous?: PersistedLifecycle;
  /** A container found in the engine for this object (daemon restart): adopted, not recreated. */
  adopt?: EngineContainer;
}

