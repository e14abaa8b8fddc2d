// The image service: images named by references in the content store's index.json, pulled from
// and pushed to registries, turned into container root filesystems through the snapshotter.
// Used by the daemon's image routes, the container engine (engine/wire.ts) and the builder.
import { join } from 'node:path';
import { InvalidArgumentError, NotFoundError } from '../../specs/errdefs.ts';
import { imageNameOf, nameAnnotations } from '../content/names.ts';
import { ContentStore } from '../content/store.ts';
import { RegistryClient, type RegistryOptions } from '../registry/client.ts';
import type { Credentials } from '../registry/docker-config.ts';
import { runWorkers, throughMirrors } from '../registry/mirrors.ts';
import { chainIds, Snapshotter, type Snapshot, type RootfsIdmap } from '../snapshots/snapshotter.ts';
import { formatReference, parseReference, type Reference } from './reference.ts';
import { INDEX_TYPES, MANIFEST_TYPES, MediaTypes, hostPlatform, platformName, selectPlatform, type ImageConfig, type Index, type Manifest } from './types.ts';
import type { Descriptor, PullEvent } from '../../specs/api/images.ts';

export interface ImageRecord {
  /** The normalised reference it is stored under (e.g. docker.io/library/busybox:latest). */
  ref: string;
  /** Digest of its manifest (for this platform). */
  digest: string;
  /** Digest of the manifest or index the registry served for the reference (docker's RepoDigest). */
  repoDigest?: string;
  mediaType: string;
  manifest: Manifest;
  /** The image id: digest of its config, as Docker shows it. */
  id: string;
  config: ImageConfig;
  layers: Descriptor[];
  diffIds: string[];
  chainIds: string[];
  /** Compressed size of its layers (what a pull moves). */
  size: number;
}

export type PullPolicy = 'IfNotPresent' | 'Always' | 'Never';

const REPO_DIGEST = 'dev.berth.repo.digest';
/** The least a layer's download moves between two progress events. */
const PROGRESS_STEP = 1 << 20;

export interface ImageServiceOptions {
  root: string;
  registry?: RegistryOptions;
  /** Layers fetched at once per pull (default 4). */
  concurrency?: number;
  /** Blobs pushed at once per push (default 5). */
  uploads?: number;
  log?: { warn(msg: string, fields?: Record<string, unknown>): void };
}

interface UnpackPlan {
  diffIds: string[];
  chainIds: string[];
  /** Unpacks under way; awaited before the pull returns. */
  pending: Array<Promise<unknown>>;
}

export class ImageService {
  readonly content: ContentStore;
  readonly snapshots: Snapshotter;
  readonly registry: RegistryClient;
  #concurrency: number;
  #uploads: number;
  readonly #log: ImageServiceOptions['log'];
  readonly #parsed = new Map<string, { manifest: Manifest; config: ImageConfig; chainIds: string[] }>();

  constructor(o: ImageServiceOptions) {
    this.content = new ContentStore(join(o.root, 'content'));
    this.snapshots = new Snapshotter(join(o.root, 'snapshots'));
    this.registry = new RegistryClient(o.registry);
    this.#concurrency = o.concurrency ?? 4;
    this.#uploads = o.uploads ?? 5;
    this.#log = o.log;
  }

  /** Changes how many layers move at once (a daemon's reload); pulls and pushes under way keep theirs. */
  configure(o: { concurrency?: number; uploads?: number }): void {
    this.#concurrency = o.concurrency ?? this.#concurrency;
    this.#uploads = o.uploads ?? this.#uploads;
  }

  async #record(desc: Descriptor): Promise<ImageRecord> {
    // Content-addressed, so never stale: each manifest and its config are read and parsed once, and
    // its chain ids (a sha256 per layer, asked at each create and start) hashed once.
    let parsed = this.#parsed.get(desc.digest);
    if (!parsed) {
      const manifest = await this.content.readJson<Manifest>(desc.digest);
      const config = await this.content.readJson<ImageConfig>(manifest.config.digest);
      parsed = { manifest, config, chainIds: chainIds(config.rootfs?.diff_ids ?? []) };
      this.#parsed.set(desc.digest, parsed);
    }
    const { manifest, config } = parsed;
    const diffIds = config.rootfs?.diff_ids ?? [];
    return {
      ref: imageNameOf(desc) ?? '',
      digest: desc.digest,
      ...(desc.annotations?.[REPO_DIGEST] ? { repoDigest: desc.annotations[REPO_DIGEST] } : {}),
      mediaType: desc.mediaType,
      manifest,
      id: manifest.config.digest,
      config,
      layers: manifest.layers,
      diffIds,
      chainIds: parsed.chainIds,
      size: manifest.layers.reduce((n, l) => n + l.size, 0),
    };
  }

  /** Every tagged image; with dangling, also the untagged ones (ref ""), as `docker images` lists them. */
  async list(o: { dangling?: boolean } = {}): Promise<ImageRecord[]> {
    const out: ImageRecord[] = [];
    for (const d of this.content.index().manifests) {
      if (!imageNameOf(d) && !(o.dangling && MANIFEST_TYPES.includes(d.mediaType))) continue;
      out.push(await this.#record(d));
    }
    return out;
  }

  /** A reference ("busybox", "host/app:v1"), a manifest digest, or an image id (or a prefix of 12+ hex). */
  async resolve(refOrId: string): Promise<ImageRecord | undefined> {
    const entries = this.content.indexView().manifests;
    const hex = refOrId.replace(/^sha256:/, '');
    if (/^[a-f0-9]{12,64}$/.test(hex)) {
      for (const d of entries) if (d.digest.slice(7).startsWith(hex)) return this.#record(d);
      for (const d of entries) {
        const r = await this.#record(d);
        if (r.id.slice(7).startsWith(hex)) return r;
      }
      if (refOrId.startsWith('sha256:')) return undefined;
    }
    let ref: string;
    try {
      ref = formatReference(parseReference(refOrId));
    } catch {
      return undefined;
    }
    const d = entries.find((e) => imageNameOf(e) === ref);
    if (d) return this.#record(d);
    // name@digest: the content may be stored under another tag of the same repository.
    const r = parseReference(refOrId);
    if (r.digest) {
      const byDigest = entries.find((e) => e.digest === r.digest || e.annotations?.[REPO_DIGEST] === r.digest);
      if (byDigest) return this.#record(byDigest);
    }
    return undefined;
  }

  async mustResolve(refOrId: string): Promise<ImageRecord> {
    const r = await this.resolve(refOrId);
    if (!r) throw new NotFoundError(`image "${refOrId}" is not in the local store; pull or build it first (\`berth pull ${refOrId}\`)`);
    return r;
  }

  async ensure(ref: string, policy: PullPolicy, onProgress?: (e: PullEvent) => void): Promise<ImageRecord> {
    if (policy !== 'Always') {
      const local = await this.resolve(ref);
      if (local) return local;
      if (policy === 'Never') throw new NotFoundError(`image "${ref}" is not present and pull policy is Never; pull it (\`berth pull ${ref}\`) or change the policy`);
    }
    // Ensured for a container: unpacked while it downloads, ready to run.
    return this.pull(ref, onProgress, { unpack: true });
  }

  /**
   * Pulls ref: the manifest (this platform's, from an index), the config, the layers not yet present.
   * With `unpack`, each layer is unpacked as soon as it is downloaded (as docker pull does), so the
   * image is ready for a container when the pull returns.
   */
  async pull(input: string, onProgress?: (e: PullEvent) => void, o: { unpack?: boolean; credentials?: Credentials } = {}): Promise<ImageRecord> {
    const ref = parseReference(input);
    return throughMirrors(this.#registryFor(o.credentials), ref, (client) => this.#pullFrom(client, ref, input, onProgress, o), { ...(onProgress ? { onProgress } : {}), ...(this.#log ? { log: this.#log } : {}) });
  }

  async #pullFrom(registry: RegistryClient, ref: Reference, input: string, onProgress: ((e: PullEvent) => void) | undefined, o: { unpack?: boolean }): Promise<ImageRecord> {
    onProgress?.({ id: 'manifest', status: 'resolving' });
    const top = await registry.getManifest(ref);
    let manifestBody = top.body;
    let manifestType = top.mediaType;
    let manifestDigest = top.digest;
    if (INDEX_TYPES.includes(top.mediaType)) {
      const index = JSON.parse(top.body.toString()) as Index;
      const desc = selectPlatform(index);
      if (!desc) {
        const have = index.manifests.map((m) => (m.platform ? platformName(m.platform) : 'no platform')).join(', ');
        throw new NotFoundError(`${input} has no image for this platform (${platformName(hostPlatform())}); it has ${have}`);
      }
      const m = await registry.getManifest(ref, desc.digest);
      manifestBody = m.body;
      manifestType = m.mediaType || desc.mediaType;
      manifestDigest = m.digest;
      await this.content.put(top.body, { digest: top.digest });
    } else if (!MANIFEST_TYPES.includes(top.mediaType)) {
      throw new InvalidArgumentError(`${input}: unsupported manifest type "${top.mediaType}" (berth reads OCI and Docker schema 2 images)`);
    }
    const manifest = JSON.parse(manifestBody.toString()) as Manifest;
    if (!manifest.config || !Array.isArray(manifest.layers)) throw new InvalidArgumentError(`${input}: the manifest has no config or layers`);
    await registry.fetchBlob(ref, manifest.config, this.content);
    let unpack: UnpackPlan | undefined;
    if (o.unpack) {
      const config = await this.content.readJson<ImageConfig>(manifest.config.digest);
      const diffIds = config.rootfs?.diff_ids ?? [];
      if (diffIds.length !== manifest.layers.length) throw new InvalidArgumentError(`${input}: ${manifest.layers.length} layers but ${diffIds.length} diff_ids in its config`);
      unpack = { diffIds, chainIds: chainIds(diffIds), pending: [] };
    }
    try {
      await this.#fetchLayers(registry, ref, manifest.layers, onProgress, unpack);
    } catch (err) {
      // Nothing of this attempt left running (another endpoint may be tried next).
      if (unpack) await Promise.allSettled(unpack.pending);
      throw err;
    }
    if (unpack) await Promise.all(unpack.pending);
    // Manifest last: an image is in the store only once everything it names is.
    await this.content.put(manifestBody, { digest: manifestDigest });
    const name = formatReference(ref);
    await this.content.setRef(name, { mediaType: manifestType, digest: manifestDigest, size: manifestBody.length, annotations: { [REPO_DIGEST]: top.digest } });
    return (await this.resolve(name))!;
  }

  /**
   * Fetches the layers not present, a few at a time. With a plan, each layer is unpacked from its
   * stored blob once it is downloaded (as docker pull does), in the unpack workers, while the
   * other layers download: measured against unpacking the bytes as they arrived (a tee from the
   * download into the unpacker), this leaves the download its full speed and the main thread free.
   */
  async #fetchLayers(registry: RegistryClient, ref: Reference, layers: Descriptor[], onProgress?: (e: PullEvent) => void, plan?: UnpackPlan): Promise<void> {
    const queue = layers.map((l, i) => ({ l, i }));
    let failed = false;
    const unpack = (i: number) => {
      const p = this.snapshots.ensureLayer(plan!.chainIds[i]!, { blob: this.content.blobPath(layers[i]!.digest), diffId: plan!.diffIds[i]! });
      plan!.pending.push(p);
      // Awaited with the others when the downloads end; never an unhandled rejection before that.
      p.catch(() => undefined);
    };
    const worker = async () => {
      for (let item = queue.shift(); item && !failed; item = queue.shift()) {
        const { l, i } = item;
        const id = l.digest.slice(7, 19);
        if (this.content.has(l.digest)) {
          onProgress?.({ id, status: 'exists', total: l.size });
          if (plan) unpack(i);
          continue;
        }
        let current = 0;
        let reported = 0;
        try {
          await registry.fetchBlob(ref, l, this.content, (n) => {
            current = n === 0 ? current : current + n;
            // One event per step of the layer's size (a fiftieth, at least 1 MiB), not per chunk
            // (~16 KiB–64 KiB each): every event becomes an NDJSON line the client reads and parses.
            if (n !== 0 && current < l.size && current - reported < Math.max(PROGRESS_STEP, l.size / 50)) return;
            reported = current;
            onProgress?.({ id, status: 'downloading', current, total: l.size });
          });
        } catch (err) {
          failed = true;
          throw err;
        }
        onProgress?.({ id, status: 'done', current: l.size, total: l.size });
        if (plan) unpack(i);
      }
    };
    await runWorkers(Math.min(this.#concurrency, layers.length), worker);
  }

  /** The registry client for a pull or push: the daemon's, or one of its own for credentials given with the request. */
  #registryFor(credentials: Credentials | undefined): RegistryClient {
    return credentials ? this.registry.withCredentials(credentials) : this.registry;
  }

  async push(input: string, onProgress?: (e: PullEvent) => void, o: { credentials?: Credentials } = {}): Promise<string> {
    const rec = await this.mustResolve(input);
    const ref = parseReference(input);
    const registry = this.#registryFor(o.credentials);
    const queue = [...rec.layers, rec.manifest.config];
    const worker = async () => {
      for (let desc = queue.shift(); desc; desc = queue.shift()) {
        const how = await registry.pushBlob(ref, desc, this.content);
        onProgress?.({ id: desc.digest.slice(7, 19), status: how === 'uploaded' ? 'pushed' : how === 'mounted' ? 'mounted' : 'exists', total: desc.size });
      }
    };
    await runWorkers(Math.min(this.#uploads, queue.length), worker);
    const body = await this.content.read(rec.digest);
    await registry.putManifest(ref, ref.digest ?? ref.tag ?? 'latest', body, rec.mediaType);
    return rec.digest;
  }

  async tag(source: string, target: string): Promise<ImageRecord> {
    const rec = await this.mustResolve(source);
    const name = formatReference(parseReference(target));
    await this.content.setRef(name, { mediaType: rec.mediaType, digest: rec.digest, size: (await this.content.size(rec.digest)) ?? 0, ...(rec.repoDigest ? { annotations: { [REPO_DIGEST]: rec.repoDigest } } : {}) });
    return (await this.resolve(name))!;
  }

  /** Removes a tag (or every tag of an image id); the content goes at the next prune. */
  async untag(refOrId: string): Promise<string[]> {
    const rec = await this.mustResolve(refOrId);
    const byId = /^(sha256:)?[a-f0-9]{12,64}$/.test(refOrId);
    const refs = byId ? (await this.list()).filter((r) => r.digest === rec.digest).map((r) => r.ref) : [rec.ref];
    for (const r of refs) await this.content.removeRef(r);
    // An untagged image named by its id: its unnamed entry goes (its content at the next prune).
    if (byId && (await this.content.removeUnnamed(rec.digest))) refs.push(rec.id);
    return refs;
  }

  /** Stores a new image (the builder's or commit's result) and tags it; without refs it is kept untagged (dangling). */
  async commit(o: { config: ImageConfig; layers: Descriptor[]; refs: string[]; configBytes?: Buffer }): Promise<ImageRecord> {
    for (const l of o.layers) if (!this.content.has(l.digest)) throw new NotFoundError(`layer ${l.digest} is not in the content store`);
    // The config's own bytes when given (a loaded image keeps its id), else its JSON.
    const configBlob = await this.content.put(o.configBytes ?? JSON.stringify(o.config));
    const manifest: Manifest = {
      schemaVersion: 2,
      mediaType: MediaTypes.ociManifest,
      config: { mediaType: MediaTypes.ociConfig, digest: configBlob.digest, size: configBlob.size },
      layers: o.layers,
    };
    const body = Buffer.from(JSON.stringify(manifest));
    const m = await this.content.put(body);
    for (const r of o.refs) await this.content.setRef(formatReference(parseReference(r)), { mediaType: MediaTypes.ociManifest, digest: m.digest, size: m.size });
    if (o.refs.length === 0) await this.content.addUnnamed({ mediaType: MediaTypes.ociManifest, digest: m.digest, size: m.size });
    return this.#record({ mediaType: MediaTypes.ociManifest, digest: m.digest, size: m.size, annotations: o.refs[0] ? nameAnnotations(formatReference(parseReference(o.refs[0]))) : {} });
  }

  /** The layer directories of an image, unpacked if needed (bottom first). */
  async layerDirs(rec: ImageRecord): Promise<string[]> {
    if (rec.layers.length !== rec.diffIds.length) throw new InvalidArgumentError(`image ${rec.ref}: ${rec.layers.length} layers but ${rec.diffIds.length} diff_ids in its config`);
    return this.snapshots.ensureLayers(rec.layers.map((l, i) => ({ blob: this.content.blobPath(l.digest), diffId: rec.diffIds[i]! })), rec.chainIds);
  }

  /** A container's writable rootfs over the image (mounted; idempotent). */
  async prepareRootfs(key: string, rec: ImageRecord, idmap?: RootfsIdmap): Promise<Snapshot> {
    return this.snapshots.prepare(key, await this.layerDirs(rec), idmap);
  }

  /**
   * Deletes what no tagged image needs: blobs not reachable from index.json and layer directories
   * whose chain id no image has. Returns what was freed.
   */
  async prune(o: { keepChainIds?: Set<string> } = {}): Promise<{ blobs: number; bytes: number; layers: number }> {
    const keep = new Set<string>();
    const chains = new Set(o.keepChainIds ?? []);
    for (const d of this.content.index().manifests) {
      keep.add(d.digest);
      if (d.annotations?.[REPO_DIGEST]) keep.add(d.annotations[REPO_DIGEST]);
      try {
        const rec = await this.#record(d);
        keep.add(rec.manifest.config.digest);
        for (const l of rec.layers) keep.add(l.digest);
        for (const c of rec.chainIds) chains.add(c);
      } catch {
        // An index entry that is not an image manifest (another tool's index): its blobs stay.
      }
    }
    let blobs = 0;
    let bytes = 0;
    for (const b of await this.content.blobs()) {
      if (keep.has(b)) continue;
      bytes += (await this.content.size(b)) ?? 0;
      await this.content.deleteBlob(b);
      this.#parsed.delete(b);
      blobs++;
    }
    const layers = await this.snapshots.pruneLayers(chains);
    return { blobs, bytes, layers };
  }
}
