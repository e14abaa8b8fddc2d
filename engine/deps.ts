// What the engine (berth-engine.ts) needs from the parts below it, each as the narrowest port: an
// image service (content store + registry), overlay snapshots (one writable rootfs per container),
// an optional network manager (CNI) and an optional builder. engine/wire.ts adapts the real
// services to them (the network and builder adapters live beside those parts); the engine's unit
// test gives it fakes.
import type { FsUsage, NetworkStats } from '../specs/api/containers.ts';
import type { ImageHandle, PullPolicy, PullProgress } from './engine.ts';
import type { ImageRunConfig } from './container-config.ts';
import type { ImageSpec } from '../specs/schema.ts';
import type { PortMapping } from '../specs/api/common.ts';

/** An image as the engine needs it: its handle and the run part of its config. */
export interface EngineImage extends ImageHandle {
  config: ImageRunConfig & { ExposedPorts?: Record<string, unknown> };
}

export interface ImagesPort {
  ensure(ref: string, policy: PullPolicy, onProgress?: (p: PullProgress) => void): Promise<EngineImage>;
  resolve(ref: string): Promise<EngineImage | undefined>;
  push?(ref: string): Promise<void>;
}

export interface SnapshotsPort {
  /**
   * A writable rootfs for the container (mounted; idempotent: mounts it again when it exists); with
   * an idmap, for a user namespace whose ID 0 is host uid/gid (snapshots/snapshotter.ts).
   */
  prepare(key: string, image: EngineImage, idmap?: { uid: number; gid: number; size: number }): Promise<{ rootfs: string }>;
  /** Unmounts and deletes it; unknown keys are not an error. */
  remove(key: string): Promise<void>;
  /** The writable (upper) directory of the overlay (for `commit`). */
  upper?(key: string): string;
  /** The image's layer directories under the overlay, bottom first (for `diff`: what the upper directory changed). */
  lowers?(image: EngineImage): Promise<string[]>;
  /** What the writable layer takes of its filesystem (undefined: unknown key). */
  usage?(key: string): Promise<FsUsage | undefined>;
}

export interface NetworkAttachment {
  /** The network namespace to join; undefined for the host's network. */
  netnsPath?: string;
  ipAddress?: string;
  hostsFile?: string;
  resolvConfFile?: string;
  /** The ports as published: a free host port picked for each hostPort 0. */
  ports?: PortMapping[];
}

/** What a container asks of its network: its names, the ports to publish, extra /etc/hosts lines. */
export interface AttachRequest {
  network: string;
  name: string;
  ports: PortMapping[];
  aliases?: string[];
  extraHosts?: Array<{ ip: string; names: string[] }>;
}

export interface NetworkPort {
  attach(id: string, o: AttachRequest): Promise<NetworkAttachment>;
  /** Always safe to call (idempotent, also for ids it does not know). */
  detach(id: string): Promise<void>;
  /** `pid`: a process of the container, whose /proc shows its namespace (read without a process: netns.ts). */
  stats?(id: string, pid?: number): Promise<NetworkStats | undefined>;
  /** Other names for an attachment on its network (a Service's name for the Pods it selects). */
  setAliases?(id: string, aliases: string[]): Promise<void>;
  /**
   * One more network for an attached container (an interface of its own in its namespace); with
   * ensure, the one it has already is returned (a start), else that is a PermissionDeniedError.
   */
  connect?(id: string, o: { network: string; aliases?: string[]; ensure?: boolean }): Promise<{ ifName: string; ipAddress?: string }>;
  /** Takes the container off one of its networks (its first one too). */
  disconnect?(id: string, network: string, o?: { force?: boolean }): Promise<void>;
}

export interface BuilderPort {
  build(ref: string, build: NonNullable<ImageSpec['build']>): Promise<ImageHandle>;
  contextDigest(build: NonNullable<ImageSpec['build']>): Promise<string>;
}
