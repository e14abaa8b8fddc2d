// The image service: every verb on images that an API offers (berth's REST routes today, Docker's
// Engine API later) — list, inspect, pull, push, tag, remove, prune, save, load, build, login —
// over the engine's image store, the builder and the engine's containers (whose images stay).
import type { Readable } from 'node:stream';
import type { Builder, BuildOptions } from '../../engine/builder/builder.ts';
import type { ContainerEngine, ContainerFilesEngine } from '../../engine/engine.ts';
import { commitContainer, type CommitOptions } from './commit.ts';
import type { ContainerService } from './containers.ts';
import { loadImages, saveImages, type ArchiveFormat } from '../../engine/images/archive.ts';
import { familiarName, parseReference } from '../../engine/images/reference.ts';
import type { ImageRecord, ImageService as ImageStore } from '../../engine/images/service.ts';
import { platformName } from '../../engine/images/types.ts';
import type { Credentials } from '../../engine/registry/docker-config.ts';
import { login, logout } from '../../engine/registry/login.ts';
import type { BuildEvent, HistoryEntry, ImageSummary, PullEvent } from '../../specs/api/images.ts';
import type { DockerImage } from '../../specs/api/docker.ts';
import { dockerImage } from '../../specs/docker/inspect.ts';
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

  /** Every tag and every untagged (dangling) image, and the size of their layers counted once. */
  async list(): Promise<{ items: ImageSummary[]; totalSize: number }> {
    const all = await this.#store.list({ dangling: true });
    const unique = new Map<string, number>();
    for (const r of all) for (const l of r.layers) unique.set(l.digest, l.size);
    return { items: all.map(summary), totalSize: [...unique.values()].reduce((a, b) => a + b, 0) };
  }

  async inspect(ref: string): Promise<ImageDetail> {
    const r = await this.#store.mustResolve(ref);
    return { ...summary(r), ...(r.repoDigest ? { repoDigest: r.repoDigest } : {}), mediaType: r.mediaType, config: r.config, manifest: r.manifest, diffIds: r.diffIds };
  }

  /** `docker inspect IMAGE`: Docker's shape, every tag of the image in RepoTags. */
  async dockerInspect(ref: string): Promise<DockerImage> {
    const r = await this.#store.mustResolve(ref);
    const tags = (await this.#store.list()).filter((t) => t.digest === r.digest);
    const names = tags.filter((t) => t.ref).map((t) => parseReference(t.ref));
    const repoTags = names.filter((n) => n.tag).map((n) => `${familiarName(n)}:${n.tag}`);
    const repoDigests = r.repoDigest ? [...new Set(names.map((n) => `${familiarName(n)}@${r.repoDigest}`))] : [];
    return dockerImage({ id: r.id, repoTags, repoDigests, config: r.config, size: r.size });
  }

  /** `docker history`: the config's history, each step with the size of the layer it made, newest first. */
  async history(ref: string): Promise<HistoryEntry[]> {
    const r = await this.#store.mustResolve(ref);
    type Step = NonNullable<typeof r.config.history>[number];
    const steps: Step[] = r.config.history ?? r.layers.map(() => ({}));
    let layer = 0;
    const out = steps.map((h) => ({
      id: '<missing>',
      ...(h.created ? { created: h.created } : {}),
      createdBy: h.created_by ?? '',
      size: h.empty_layer ? 0 : (r.layers[layer++]?.size ?? 0),
      comment: h.comment ?? '',
      tags: [] as string[],
    }));
    out.reverse();
    if (out[0]) Object.assign(out[0], { id: r.id, tags: r.ref ? [`${familiarName(parseReference(r.ref))}:${parseReference(r.ref).tag ?? 'latest'}`] : [] });
    return out;
  }

  /** Pulls with the daemon's credentials (`berth login`), or with those given for this pull only. */
  async pull(ref: string, onProgress: (e: PullEvent) => void, o: { credentials?: Credentials } = {}): Promise<ImageSummary> {
    return summary(await this.#store.pull(ref, onProgress, { unpack: true, ...o }));
  }

  /** Pushes the image; resolves with the manifest digest the registry holds and the manifest's size (Docker's last push line). */
  async push(ref: string, onProgress: (e: PullEvent) => void, o: { credentials?: Credentials } = {}): Promise<{ digest: string; size: number }> {
    const digest = await this.#store.push(ref, onProgress, o);
    return { digest, size: (await this.#store.content.size(digest)) ?? 0 };
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
  async prune(o: { all?: boolean } = {}): Promise<Awaited<ReturnType<ImageStore['prune']>> & { untagged: string[] }> {
    const keep = new Set<string>();
    const used = new Set<string>();
    for (const c of (await this.#containers?.list()) ?? []) {
      const r = c.imageDigest ? await this.#store.resolve(c.imageDigest) : undefined;
      if (c.imageDigest) used.add(c.imageDigest);
      for (const id of r?.chainIds ?? []) keep.add(id);
    }
    // Dangling (untagged) images no container uses go; with -a (Docker's `image prune -a`) every
    // image no container uses, tags and all.
    const untagged: string[] = [];
    for (const r of await this.#store.list({ dangling: true })) {
      if (used.has(r.digest)) continue;
      if (!r.ref) untagged.push(...(await this.#store.untag(r.id)));
      else if (o.all) untagged.push(...(await this.#store.untag(r.ref)));
    }
    return { ...(await this.#store.prune({ keepChainIds: keep })), untagged };
  }

  save(refs: string[], format: string): Promise<Readable> {
    if (format !== 'docker-archive' && format !== 'oci-archive') throw new InvalidArgumentError(`format "${format}" must be docker-archive or oci-archive`);
    return saveImages(this.#store, refs, format as ArchiveFormat);
  }

  load(archive: Readable): ReturnType<typeof loadImages> {
    return loadImages(this.#store, archive);
  }

  /** `commit`: a container's writable layer as a new image (server/services/commit.ts); its id. */
  commit(from: { containers: ContainerService; engine: Pick<ContainerFilesEngine, 'diffLayer'> }, name: string, o: CommitOptions): Promise<{ id: string }> {
    return commitContainer({ ...from, images: this.#store }, name, o);
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
  const ref = r.ref ? parseReference(r.ref) : undefined;
  return {
    ref: r.ref,
    repository: ref ? familiarName(ref) : '<none>',
    tag: ref?.tag ?? '<none>',
    digest: r.digest,
    id: r.id,
    size: r.size,
    ...(r.config.created ? { created: r.config.created } : {}),
    platform: platformName({ os: r.config.os || 'unknown', architecture: r.config.architecture || 'unknown', ...(r.config.variant ? { variant: r.config.variant } : {}) }),
    layers: r.layers.map((l) => l.digest),
  };
}
