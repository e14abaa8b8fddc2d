// The image service: every verb on images that an API offers (berth's REST routes today, Docker's
// Engine API later) — list, inspect, pull, push, tag, remove, prune, save, load, build, login —
// over the engine's image store, the builder and the engine's containers (whose images stay).
import type { Readable } from 'node:stream';
import type { Builder, BuildOptions } from '../../engine/builder/builder.ts';
import type { ContainerEngine } from '../../engine/engine.ts';
import { loadImages, saveImages, type ArchiveFormat } from '../../engine/images/archive.ts';
import { familiarName, parseReference } from '../../engine/images/reference.ts';
import type { ImageRecord, ImageService as ImageStore } from '../../engine/images/service.ts';
import { platformName } from '../../engine/images/types.ts';
import { login, logout } from '../../engine/registry/login.ts';
import type { BuildEvent, ImageSummary, PullEvent } from '../../specs/api/images.ts';
import { FailedPreconditionError, InvalidArgumentError, UnavailableError } from '../../specs/errdefs.ts';

export interface ImageDetail extends ImageSummary {
  repoDigest?: string;
  mediaType: string;
  config: ImageRecord['config'];
  manifest: ImageRecord['manifest'];
  diffIds: string[];
}

export class ImageService {
  readonly #store: ImageStore;
  readonly #containers: Pick<ContainerEngine, 'list'> | undefined;
  readonly #builder: Builder | undefined;
  #insecure: string[];
  #certsDir: string | undefined;

  constructor(o: { store: ImageStore; containers?: Pick<ContainerEngine, 'list'>; builder?: Builder; insecureRegistries?: string[]; certsDir?: string }) {
    this.#store = o.store;
    this.#containers = o.containers;
    this.#builder = o.builder;
    this.#insecure = o.insecureRegistries ?? [];
    this.#certsDir = o.certsDir;
  }

  /** Registry settings a daemon's reload changes: the next pulls, pushes and logins use them. */
  configure(o: { insecureRegistries: string[]; registryMirrors: Record<string, string[]>; certsDir?: string; maxConcurrentDownloads?: number; maxConcurrentUploads?: number }): void {
    this.#insecure = o.insecureRegistries;
    this.#certsDir = o.certsDir ?? this.#certsDir;
    this.#store.registry.configure({ insecure: o.insecureRegistries, mirrors: o.registryMirrors, ...(o.certsDir ? { certsDir: o.certsDir } : {}) });
    this.#store.configure({ ...(o.maxConcurrentDownloads ? { concurrency: o.maxConcurrentDownloads } : {}), ...(o.maxConcurrentUploads ? { uploads: o.maxConcurrentUploads } : {}) });
  }

  /** Every tag, and the size of their layers counted once. */
  async list(): Promise<{ items: ImageSummary[]; totalSize: number }> {
    const all = await this.#store.list();
    const unique = new Map<string, number>();
    for (const r of all) for (const l of r.layers) unique.set(l.digest, l.size);
    return { items: all.map(summary), totalSize: [...unique.values()].reduce((a, b) => a + b, 0) };
  }

  async inspect(ref: string): Promise<ImageDetail> {
    const r = await this.#store.mustResolve(ref);
    return { ...summary(r), ...(r.repoDigest ? { repoDigest: r.repoDigest } : {}), mediaType: r.mediaType, config: r.config, manifest: r.manifest, diffIds: r.diffIds };
  }

  async pull(ref: string, onProgress: (e: PullEvent) => void): Promise<ImageSummary> {
    return summary(await this.#store.pull(ref, onProgress, { unpack: true }));
  }

  /** Pushes the image; resolves with the manifest digest the registry holds. */
  push(ref: string, onProgress: (e: PullEvent) => void): Promise<string> {
    return this.#store.push(ref, onProgress);
  }

  async tag(source: string, target: string): Promise<ImageSummary> {
    return summary(await this.#store.tag(source, target));
  }

  /** Untags; the last tag of an image a container uses is kept unless forced. */
  async remove(ref: string, o: { force?: boolean } = {}): Promise<string[]> {
    const rec = await this.#store.mustResolve(ref);
    if (!o.force && this.#containers) {
      const tags = (await this.#store.list()).filter((r) => r.digest === rec.digest).length;
      const users = (await this.#containers.list()).filter((c) => c.imageDigest === rec.digest);
      if (users.length > 0 && tags <= 1) {
        throw new FailedPreconditionError(
          `image ${ref} is used by container${users.length > 1 ? 's' : ''} ${users.map((c) => c.owner?.name ?? c.id.slice(0, 12)).join(', ')}; remove ${users.length > 1 ? 'them' : 'it'} first, or force with \`berth rmi -f\``,
        );
      }
    }
    return this.#store.untag(ref);
  }

  /** Removes untagged images and unused layers; layers under containers' root filesystems stay. */
  async prune(): Promise<Awaited<ReturnType<ImageStore['prune']>>> {
    const keep = new Set<string>();
    for (const c of (await this.#containers?.list()) ?? []) {
      const r = c.imageDigest ? await this.#store.resolve(c.imageDigest) : undefined;
      for (const id of r?.chainIds ?? []) keep.add(id);
    }
    return this.#store.prune({ keepChainIds: keep });
  }

  save(refs: string[], format: string): Promise<Readable> {
    if (format !== 'docker-archive' && format !== 'oci-archive') throw new InvalidArgumentError(`format "${format}" must be docker-archive or oci-archive`);
    return saveImages(this.#store, refs, format as ArchiveFormat);
  }

  load(archive: Readable): ReturnType<typeof loadImages> {
    return loadImages(this.#store, archive);
  }

  /** A Dockerfile build, its progress pushed as it happens. */
  async build(o: BuildOptions, onEvent: (e: BuildEvent) => void): Promise<void> {
    if (!this.#builder) throw new UnavailableError('this daemon has no builder (it runs without a container runtime); start it with --runtime runc or native');
    await this.#builder.build(o, onEvent);
  }

  /** Tries the credentials against the registry and keeps them for the daemon's pulls when they work. */
  login(registry: string, creds: { username: string; password: string }): Promise<{ domain: string; helper?: string }> {
    return login(registry, creds, { insecure: this.#insecure, ...(this.#certsDir ? { certsDir: this.#certsDir } : {}) });
  }

  logout(registry: string): Promise<{ domain: string; removed: boolean; warning?: string }> {
    return logout(registry);
  }
}

function summary(r: ImageRecord): ImageSummary {
  const ref = parseReference(r.ref);
  return {
    ref: r.ref,
    repository: familiarName(ref),
    tag: ref.tag ?? '<none>',
    digest: r.digest,
    id: r.id,
    size: r.size,
    ...(r.config.created ? { created: r.config.created } : {}),
    platform: platformName({ os: r.config.os || 'unknown', architecture: r.config.architecture || 'unknown', ...(r.config.variant ? { variant: r.config.variant } : {}) }),
    layers: r.layers.map((l) => l.digest),
  };
}
