// `commit`: a container's writable layer becomes a new image — its image's layers plus that one
// (OCI whiteouts for what was deleted), the container's run config over the image's, the `-c`
// changes applied (engine/builder/commit-config.ts), tagged when a name is given, else kept
// untagged (dangling) as Docker keeps it. The container is paused meanwhile unless asked not to.
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { commitConfig } from '../../engine/builder/commit-config.ts';
import { LAYER_TAR } from '../../engine/builder/deps.ts';
import type { ImageConfig } from '../../engine/builder/image-config.ts';
import { ImageServicePort } from '../../engine/builder/image-store-adapter.ts';
import type { ContainerFilesEngine } from '../../engine/engine.ts';
import { parseReference } from '../../engine/images/reference.ts';
import type { ImageService as ImageStore } from '../../engine/images/service.ts';
import { InvalidArgumentError } from '../../specs/errdefs.ts';
import type { ContainerService } from './containers.ts';
import { isoTime } from '../../specs/timestamps.ts';

export interface CommitOptions {
  /** REPOSITORY[:TAG]; none: an untagged image. */
  reference?: string;
  message?: string;
  author?: string;
  /** Dockerfile instructions (`-c 'CMD ["x"]'`). */
  changes?: string[];
  /** Pause the container while its layer is read (default true, as Docker's). */
  pause?: boolean;
}

export async function commitContainer(
  d: { containers: ContainerService; engine: Pick<ContainerFilesEngine, 'diffLayer'>; images: ImageStore },
  name: string,
  o: CommitOptions,
): Promise<{ id: string }> {
  if (o.reference) {
    try {
      parseReference(o.reference);
    } catch (err) {
      throw new InvalidArgumentError(`commit: "${o.reference}" is not a valid REPOSITORY[:TAG]: ${(err as Error).message}`, { cause: err });
    }
  }
  const inspect = await d.containers.dockerInspect(name);
  const id = d.containers.engineID(name);
  const image = await d.images.mustResolve(inspect.Image);
  const tmp = join(d.images.content.root, 'ingest', `commit-${randomBytes(6).toString('hex')}.tar`);
  try {
    const layer = await d.engine.diffLayer(id, { out: tmp, pause: o.pause ?? true });
    const desc = { mediaType: LAYER_TAR, digest: layer.digest, size: layer.size };
    await new ImageServicePort(d.images).putBlobFile(tmp, desc);
    const config = commitConfig({
      base: { ...image.config, config: image.config.config ?? {} } as ImageConfig,
      // berth's own labels (berth.dev/run…) belong to the container object, not to the image.
      container: {
        Cmd: inspect.Config.Cmd,
        Entrypoint: inspect.Config.Entrypoint,
        Env: inspect.Config.Env,
        WorkingDir: inspect.Config.WorkingDir,
        User: inspect.Config.User,
        ...(inspect.Config.ExposedPorts ? { ExposedPorts: inspect.Config.ExposedPorts } : {}),
        Labels: Object.fromEntries(Object.entries(inspect.Config.Labels ?? {}).filter(([k]) => !k.startsWith('berth.dev/'))),
      },
      diffId: layer.digest,
      createdBy: [inspect.Path, ...inspect.Args].join(' '),
      ...(o.changes?.length ? { changes: o.changes } : {}),
      ...(o.message ? { message: o.message } : {}),
      ...(o.author ? { author: o.author } : {}),
      now: isoTime(),
    });
    const rec = await d.images.commit({ config, layers: [...image.layers, desc], refs: o.reference ? [o.reference] : [] });
    return { id: rec.id };
  } finally {
    await rm(tmp, { force: true });
  }
}
