// Builds the daemon's engine from its parts: the image service (content store, registry client,
// snapshotter), a Runtime, and optionally the network manager and the builder, each adapted to
// the narrow port BerthEngine uses (engine/deps.ts).
import { join } from 'node:path';
import { BerthEngine } from './berth-engine.ts';
import type { BuilderPort, EngineImage, NetworkPort } from './deps.ts';
import { ImageService, type ImageRecord } from './images/service.ts';
import { RuncRuntime } from './runtime/runc-runtime.ts';
import type { Runtime } from './runtime/runtime.ts';

export type RuntimeName = 'runc' | 'native';

export interface EngineParts {
  engine: BerthEngine;
  images: ImageService;
  runtime: Runtime;
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
}): Promise<EngineParts> {
  const images = new ImageService({ root: o.root, registry: { insecure: o.insecureRegistries ?? [] } });
  const runtime = typeof o.runtime === 'object' ? o.runtime : await createRuntime(o.runtime ?? 'runc', o.root);
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
    },
    ...(o.network ? { network: o.network } : {}),
    ...(o.builder ? { builder: o.builder(images, runtime) } : {}),
  });
  return { engine, images, runtime };
}
