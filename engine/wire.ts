// Builds the daemon's engine from its parts: the image service (content store, registry client,
// snapshotter), a Runtime, and optionally the network manager and the builder, each adapted to
// the narrow port BerthEngine uses (engine/deps.ts).
import { join } from 'node:path';
import { BerthEngine } from './berth-engine.ts';
import type { BuilderPort, EngineImage, NetworkPort } from './deps.ts';
import { ImageService, type ImageRecord, type ImageServiceOptions } from './images/service.ts';
import { RuncRuntime } from './runtime/runc-runtime.ts';
import { spreadDir } from './spread-dirs.ts';
import type { Runtime } from './runtime/runtime.ts';
import { ContainerVolumes } from './volumes/container-mounts.ts';
import { LocalVolumes, type VolumeDeclaration } from './volumes/local-volumes.ts';

export type RuntimeName = 'runc' | 'native';

export interface EngineParts {
  engine: BerthEngine;
  images: ImageService;
  runtime: Runtime;
  /** Volumes on the host (<root>/volumes): the volume controller and service manage them, containers mount them. */
  volumes: LocalVolumes;
}

export function toEngineImage(rec: ImageRecord): EngineImage {
  return { ref: rec.ref, digest: rec.digest, size: rec.size, config: rec.config.config ?? {} };
}

export async function createRuntime(name: RuntimeName, root: string, o: { logMaxBytes?: number; logMaxFiles?: number } = {}): Promise<Runtime> {
  const opts = { stateDir: join(root, 'runtime'), ...(o.logMaxBytes ? { logMaxBytes: o.logMaxBytes } : {}), ...(o.logMaxFiles ? { logMaxFiles: o.logMaxFiles } : {}) };
  if (name === 'native') {
    const { NativeRuntime } = await import('./runtime/native-runtime.ts');
    return new NativeRuntime(opts);
  }
  return new RuncRuntime(opts);
}

/** The daemon's settings the engine applies (daemon.json keys; server/context.ts's DaemonOptions has them). */
export interface EngineSettings {
  /** Registries (host:port) reached over plain http although they are not on loopback. */
  insecureRegistries?: string[];
  /** Mirrors tried in order before a registry, per registry domain ("docker.io" for Docker Hub). */
  registryMirrors?: Record<string, string[]>;
  /** Per-registry TLS files: <certsDir>/<host[:port]>/{ca.crt, client.cert, client.key} (default /etc/berth/certs.d). */
  certsDir?: string;
  /** Layers fetched at once per pull; pushed at once per push. */
  maxConcurrentDownloads?: number;
  maxConcurrentUploads?: number;
  /** Size at which a container's log is rotated (bytes). */
  logMaxBytes?: number;
  /** Log files kept per container, the current one included (log-opts max-file). */
  logMaxFiles?: number;
}

export async function createEngine(o: EngineSettings & {
  root: string;
  runtime?: RuntimeName | Runtime;
  log?: ImageServiceOptions['log'];
  cgroupParent?: string;
  network?: NetworkPort;
  builder?: (images: ImageService, runtime: Runtime) => BuilderPort;
  /** The Volume object of a name, so that a volume first made by a container's mount has its options. */
  declaredVolume?: (name: string) => VolumeDeclaration | undefined;
}): Promise<EngineParts> {
  // The root first, so that the owners' parents made under it are spread too.
  await spreadDir(o.root);
  const images = new ImageService({
    root: o.root,
    registry: { insecure: o.insecureRegistries ?? [], mirrors: o.registryMirrors ?? {}, ...(o.certsDir ? { certsDir: o.certsDir } : {}) },
    ...(o.maxConcurrentDownloads ? { concurrency: o.maxConcurrentDownloads } : {}),
    ...(o.maxConcurrentUploads ? { uploads: o.maxConcurrentUploads } : {}),
    ...(o.log ? { log: o.log } : {}),
  });
  // One daemon per root: what a crash left half-written, and nothing can finish, goes now.
  await images.content.removeStaleIngests();
  await images.snapshots.removeStale();
  const logs = { ...(o.logMaxBytes ? { logMaxBytes: o.logMaxBytes } : {}), ...(o.logMaxFiles ? { logMaxFiles: o.logMaxFiles } : {}) };
  const runtime = typeof o.runtime === 'object' ? o.runtime : await createRuntime(o.runtime ?? 'runc', o.root, logs);
  const volumes = new LocalVolumes({ root: o.root, ...(o.declaredVolume ? { declared: o.declaredVolume } : {}) });
  const engine = new BerthEngine({
    root: o.root,
    runtime,
    ...(o.cgroupParent ? { cgroupParent: o.cgroupParent } : {}),
    images: {
      ensure: async (ref, policy, onProgress) =>
        toEngineImage(
          await images.ensure(ref, policy, onProgress && ((e) => e.current !== undefined && onProgress({ bytes: e.current, ...(e.total !== undefined ? { total: e.total } : {}) }))),
        ),
      resolve: async (ref) => {
        const rec = await images.resolve(ref);
        return rec && toEngineImage(rec);
      },
      push: async (ref) => void (await images.push(ref)),
    },
    snapshots: {
      prepare: async (key, image, idmap) => images.prepareRootfs(key, await images.mustResolve(image.digest), idmap),
      remove: (key) => images.snapshots.remove(key),
      usage: (key) => images.snapshots.usage(key),
      upper: (key) => images.snapshots.upperDir(key),
      lowers: async (image) => images.layerDirs(await images.mustResolve(image.digest)),
    },
    ...(o.network ? { network: o.network } : {}),
    ...(o.builder ? { builder: o.builder(images, runtime) } : {}),
    volumes: new ContainerVolumes({ root: o.root, volumes }),
  });
  return { engine, images, runtime, volumes };
}
