// Builds the daemon's engine from its parts: the image service (content store, registry client,
// snapshotter), a Runtime, and optionally the network manager and the builder, each adapted to
// the narrow port BerthEngine uses (engine/container-engine.ts).
import { join } from 'node:path';
import { BerthEngine, type BuilderPort, type EngineImage, type NetworkPort } from './container-engine.ts';
import { ImageService, type ImageRecord } from './images/service.ts';
import { RuncRuntime } from './runtime/runc-runtime.ts';
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

export async function createRuntime(name: RuntimeName, root: string): Promise<Runtime> {
  const stateDir = join(root, 'runtime');
  if (name === 'native') {
    const { NativeRuntime } = await import('./runtime/native-runtime.ts');
    return new NativeRuntime({ stateDir });
  }
  return new RuncRuntime({ stateDir });
}

export async function createEngine(o: {
  root: string;
  runtime?: RuntimeName | Runtime;
  insecureRegistries?: string[];
  cgroupParent?: string;
  network?: NetworkPort;
  builder?: (images: ImageService, runtime: Runtime) => BuilderPort;
  /** The Volume object of a name, so that a volume first made by a container's mount has its options. */
  declaredVolume?: (name: string) => VolumeDeclaration | undefined;
}): Promise<EngineParts> {
  const images = new ImageService({ root: o.root, registry: { insecure: o.insecureRegistries ?? [] } });
  const runtime = typeof o.runtime === 'object' ? o.runtime : await createRuntime(o.runtime ?? 'runc', o.root);
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
      prepare: async (key, image) => images.prepareRootfs(key, await images.mustResolve(image.digest)),
      remove: (key) => images.snapshots.remove(key),
    },
    ...(o.network ? { network: o.network } : {}),
    ...(o.builder ? { builder: o.builder(images, runtime) } : {}),
    volumes: new ContainerVolumes({ root: o.root, volumes }),
  });
  return { engine, images, runtime, volumes };
}
