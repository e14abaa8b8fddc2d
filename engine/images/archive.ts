// `save` and `load`: images as one tar, in either format the tools exchange —
//  - oci-archive: an OCI image layout (oci-layout, index.json with ref names, blobs/sha256/…);
//  - docker-archive: what `docker save` writes and `docker load` reads (manifest.json with Config,
//    RepoTags and Layers; the config and each layer as files).
// Layers keep the bytes they have in the content store (gzip or not); docker load and skopeo read both.
// A loaded archive is hostile input like a layer: blob names are digests checked against the bytes,
// and only names the format defines are read.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadEntry } from 'tar';
import { TarWriter } from '../content/tar-writer.ts';
import { compressionOf, type Compression } from '../snapshots/decompress.ts';
import { InvalidArgumentError, NotFoundError } from '../../specs/errdefs.ts';
import { imageNameOf, nameAnnotations, REF_NAME_ANNOTATION } from '../content/names.ts';
import { familiarName, normalizeReference, parseReference } from './reference.ts';
import type { ImageRecord, ImageService } from './service.ts';
import { MediaTypes, type ImageConfig, type Index, type Manifest } from './types.ts';
import type { Descriptor } from '../../specs/api/images.ts';

export type ArchiveFormat = 'docker-archive' | 'oci-archive';

const hex = (d: string) => d.replace(/^sha256:/, '');
const LAYER_TYPES: Record<Compression, string> = { gzip: MediaTypes.ociLayerGzip, zstd: MediaTypes.ociLayerZstd, none: MediaTypes.ociLayer };

/** The archive of `refs`, as a stream (written to a temporary file first, removed once read). */
export async function saveImages(images: ImageService, refs: string[], format: ArchiveFormat): Promise<Readable> {
  if (refs.length === 0) throw new InvalidArgumentError('save needs at least one image');
  const recs: ImageRecord[] = [];
  for (const r of refs) recs.push(await images.mustResolve(r));
  const dir = await mkdtemp(join(tmpdir(), 'berth-save-'));
  const path = join(dir, 'archive.tar');
  const tar = await TarWriter.create(path);
  const file = (name: string, body: Buffer) => tar.add({ name, type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 0, size: body.length }, body);
  const blobFile = async (name: string, digest: string) => {
    const size = (await images.content.size(digest)) ?? 0;
    await tar.add({ name, type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 0, size }, images.content.blobPath(digest));
  };
  try {
    const written = new Set<string>();
    if (format === 'oci-archive') {
      await file('oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })));
      const index: Index = { schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [] };
      for (const rec of recs) {
        index.manifests.push({ mediaType: rec.mediaType, digest: rec.digest, size: (await images.content.size(rec.digest)) ?? 0, annotations: nameAnnotations(rec.ref) });
      }
      await file('index.json', Buffer.from(JSON.stringify(index)));
      for (const rec of recs) {
        for (const d of [rec.digest, rec.manifest.config.digest, ...rec.layers.map((l) => l.digest)]) {
          if (written.has(d)) continue;
          written.add(d);
          await blobFile(`blobs/sha256/${hex(d)}`, d);
        }
      }
    } else {
      const manifest: Array<{ Config: string; RepoTags: string[]; Layers: string[] }> = [];
      for (const rec of recs) {
        const config = `${hex(rec.manifest.config.digest)}.json`;
        const tag = parseReference(rec.ref);
        manifest.push({ Config: config, RepoTags: [`${familiarName(tag)}:${tag.tag ?? 'latest'}`], Layers: rec.layers.map((l) => `${hex(l.digest)}/layer.tar`) });
        if (!written.has(config)) await blobFile(config, rec.manifest.config.digest);
        written.add(config);
        for (const l of rec.layers) {
          if (written.has(l.digest)) continue;
          written.add(l.digest);
          await blobFile(`${hex(l.digest)}/layer.tar`, l.digest);
        }
      }
      await file('manifest.json', Buffer.from(JSON.stringify(manifest)));
    }
    await tar.finish();
  } catch (err) {
    await tar.abort();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const stream = createReadStream(path);
  stream.on('close', () => void rm(dir, { recursive: true, force: true }));
  return stream;
}

/** Reads an archive of either format (told apart by its files) and tags what it holds. */
export async function loadImages(images: ImageService, src: Readable): Promise<string[]> {
  const { Parser } = await import('tar');
  const files = new Map<string, Buffer>();
  const parser = new Parser({
    strict: true,
    onReadEntry: (entry: ReadEntry) => {
      if (entry.type !== 'File' && entry.type !== 'OldFile') {
        entry.resume();
        return;
      }
      const name = entry.path.replace(/^\.\//, '');
      const chunks: Buffer[] = [];
      entry.on('data', (c: Buffer) => chunks.push(c));
      entry.on('end', () => files.set(name, Buffer.concat(chunks)));
    },
  });
  try {
    await pipeline(src, parser);
  } catch (err) {
    throw new InvalidArgumentError(`load: not a tar archive: ${(err as Error).message}`);
  }
  if (files.has('index.json') && files.has('oci-layout')) return loadOci(images, files);
  if (files.has('manifest.json')) return loadDocker(images, files);
  throw new InvalidArgumentError('load: the archive is neither an OCI layout (index.json, oci-layout) nor a docker archive (manifest.json)');
}

async function putVerified(images: ImageService, bytes: Buffer, digest: string): Promise<void> {
  await images.content.put(bytes, { digest });
}

async function loadOci(images: ImageService, files: Map<string, Buffer>): Promise<string[]> {
  const index = JSON.parse(files.get('index.json')!.toString()) as Index;
  const blob = (d: string) => {
    const b = files.get(`blobs/sha256/${hex(d)}`);
    if (!b) throw new InvalidArgumentError(`load: blob ${d} named by the archive is not in it`);
    return b;
  };
  const loaded: string[] = [];
  for (const desc of index.manifests ?? []) {
    // containerd's full name, else ref.name (a whole reference, or a bare tag read as Docker reads a name).
    const ref = imageNameOf(desc) ?? desc.annotations?.[REF_NAME_ANNOTATION];
    const manifest = JSON.parse(blob(desc.digest).toString()) as Manifest;
    if (!manifest.config || !Array.isArray(manifest.layers)) continue;
    for (const l of manifest.layers) await putVerified(images, blob(l.digest), l.digest);
    await putVerified(images, blob(manifest.config.digest), manifest.config.digest);
    await putVerified(images, blob(desc.digest), desc.digest);
    const name = ref ? refName(ref) : `sha256:${hex(desc.digest)}`;
    if (ref) await images.content.setRef(name, { mediaType: desc.mediaType, digest: desc.digest, size: desc.size });
    loaded.push(name);
  }
  return loaded;
}

/** A ref as an index names it, normalised; a clear error when it is not a reference. */
function refName(ref: string): string {
  try {
    return normalizeReference(ref);
  } catch {
    throw new InvalidArgumentError(`load: "${ref}" in the archive is not an image reference`);
  }
}

async function loadDocker(images: ImageService, files: Map<string, Buffer>): Promise<string[]> {
  const manifest = JSON.parse(files.get('manifest.json')!.toString()) as Array<{ Config: string; RepoTags?: string[] | null; Layers: string[] }>;
  const loaded: string[] = [];
  for (const m of manifest) {
    const configBytes = files.get(m.Config);
    if (!configBytes) throw new NotFoundError(`load: ${m.Config} named by manifest.json is not in the archive`);
    const config = JSON.parse(configBytes.toString()) as ImageConfig;
    const layers: Descriptor[] = [];
    for (const [i, path] of m.Layers.entries()) {
      const bytes = files.get(path);
      if (!bytes) throw new NotFoundError(`load: layer ${path} named by manifest.json is not in the archive`);
      const compression = compressionOf(bytes);
      const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
      // An uncompressed layer's digest is its diff_id: it must be the config's.
      if (compression === 'none' && config.rootfs?.diff_ids?.[i] && config.rootfs.diff_ids[i] !== digest) {
        throw new InvalidArgumentError(`load: layer ${path} is not the image's layer ${i + 1} (diff_id ${config.rootfs.diff_ids[i]})`);
      }
      await images.content.put(bytes);
      layers.push({ mediaType: LAYER_TYPES[compression], digest, size: bytes.length });
    }
    const tags = (m.RepoTags ?? []).map((t) => refName(t));
    const rec = await images.commit({ config, configBytes, layers, refs: tags });
    loaded.push(...(tags.length ? tags : [rec.digest]));
  }
  return loaded;
}

