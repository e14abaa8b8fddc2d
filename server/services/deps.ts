// What the services need from the layers below, narrowed to the verbs they call: the controllers'
// typed view of each Container's lifecycle, and the engine's verbs on running containers.
import type { UserEvent } from '../../controllers/container-types.ts';
import type { ContainerEngine, ContainerFilesEngine, EngineContainer } from '../../engine/engine.ts';
import type { ContainerStatus } from '../../specs/api/containers.ts';
import type { ContainerSpec } from '../../specs/schema.ts';
import type { ImageConfigView } from '../../specs/docker/inspect.ts';

/** The Container controller as the services see it: typed status, never an actor's snapshot. */
export interface ContainerLifecycles {
  /** The live status of a Container (what its controller writes to the store), if it has a lifecycle. */
  view(name: string): ContainerStatus | undefined;
  /** Resolves once `done` holds for the container's status (checked at once and on every change). */
  waitFor(name: string, done: (s: ContainerStatus | undefined) => boolean, signal?: AbortSignal): Promise<ContainerStatus | undefined>;
  /** Holds an autoRemove back while an attached client reads the output (its log goes with the container); the release. */
  holdRemoval(name: string): () => void;
  /** A lifecycle verb (stop, start, pause, unpause) for the container's machine. */
  send(name: string, event: UserEvent): void;
  /** `rename`: moves the object and its running container to another name, without a restart; with labels, the object's new labels. */
  rename(from: string, to: string, o?: { labels?: Record<string, string> }): Promise<void>;
  /** `update`: the object's new spec applied to its container in place (live limits), without a restart. */
  update(name: string, spec: ContainerSpec): Promise<void>;
  /** `network connect`: the object's spec with its new list of networks, applied to its container in place (live). */
  connectNetwork(name: string, spec: ContainerSpec, o: { network: string; aliases?: string[] }): Promise<void>;
  /** `network disconnect`: likewise, one network fewer. */
  disconnectNetwork(name: string, spec: ContainerSpec, o: { network: string; force?: boolean }): Promise<void>;
  /** Containers in the engine berth did not create: reported, never touched. */
  readonly unknown: EngineContainer[];
}

/** The image store as the container service reads it: an image's id and config (for inspect). */
export interface ImageConfigs {
  inspect(ref: string): Promise<{ id: string; config: { config?: ImageConfigView } }>;
}

export type ContainerRuntimeVerbs = Pick<ContainerEngine, 'inspect' | 'kill' | 'logs' | 'wait' | 'exec' | 'stats' | 'top' | 'list' | 'size'> & ContainerFilesEngine;

/** The volume service as `rm -v` needs it. */
export interface AnonymousVolumes {
  /** Removes the anonymous volumes made for a Container object (by uid) that no container uses; their names. */
  removeAnonymousOf(ownerUid: string): Promise<string[]>;
}

/** Checks on the host a `run` makes before its Container object (a bind source that must exist). */
export type ContainerPreflight = (name: string, spec: ContainerSpec) => Promise<void>;
