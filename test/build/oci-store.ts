// The builder's image port over a plain OCI image layout directory (blobs/sha256, index.json with
// org.opencontainers.image.ref.name annotations), so build tests can check results with skopeo
// and umoci and copy them to a registry. The daemon uses the images service instead.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { ImageConfig } from '../../engine/build/image-config.ts';
import type { BaseImage, BuildImageStore, BuiltImage, Descriptor } from '../../engine/build/ports.ts';
import { NotFoundError } from '../../specs/errdefs.ts';

const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const CONFIG = 'application/vnd.oci.image.config.v1+json';

interface Index {
  schemaVersion: 2;
  manifests: Array<Descriptor & { annotations?: Record<string, string> }>;
}

export class OciLayoutStore implements BuildImageStore {
  constructor(readonly dir: string) {}

  #blob(digest: string): string {
    return join(this.dir, 'blobs', 'sha256', digest.replace(/^sha256:/, ''));
  }

  async #index(): Promise<Index> {
    try {
      return JSON.parse(await readFile(join(this.dir, 'index.json'), 'utf8')) as Index;
    } catch {
      return { schemaVersion: 2, manifests: [] };
    }
  }

  async #putBytes(b: Buffer): Promise<string> {
    const digest = `sha256:${createHash('sha256').update(b).digest('hex')}`;
    await mkdir(join(this.dir, 'blobs', 'sha256'), { recursive: true });
    if (!existsSync(this.#blob(digest))) await writeFile(this.#blob(digest), b);
    return digest;
  }

  async getImage(ref: string): Promise<BaseImage> {
    const idx = await this.#index();
    const m = idx.manifests.find((d) => d.annotations?.['org.opencontainers.image.ref.name'] === ref || d.digest === ref);
    if (!m) throw new NotFoundError(`image ${ref} is not in ${this.dir}`);
    const manifest = JSON.parse(await readFile(this.#blob(m.digest), 'utf8')) as { config: Descriptor; layers: Descriptor[] };
    const config = JSON.parse(await readFile(this.#blob(manifest.config.digest), 'utf8')) as ImageConfig;
    return { ref, digest: m.digest, config, layers: manifest.layers };
  }

  async openBlob(digest: string): Promise<Readable> {
    return createReadStream(this.#blob(digest));
  }

  async hasBlob(digest: string): Promise<boolean> {
    return existsSync(this.#blob(digest));
  }

  async putBlobFile(path: string, desc: Descriptor): Promise<void> {
    await mkdir(join(this.dir, 'blobs', 'sha256'), { recursive: true });
    if (existsSync(this.#blob(desc.digest))) return;
    const tmp = `${this.#blob(desc.digest)}.tmp`;
    await copyFile(path, tmp);
    if ((await stat(tmp)).size !== desc.size) throw new Error(`blob ${desc.digest}: size mismatch`);
    await rename(tmp, this.#blob(desc.digest));
  }

  async commitImage(o: { config: ImageConfig; layers: Descriptor[]; tags: string[] }): Promise<BuiltImage> {
    const configBytes = Buffer.from(JSON.stringify(o.config));
    const configDigest = await this.#putBytes(configBytes);
    const manifest = { schemaVersion: 2, mediaType: MANIFEST, config: { mediaType: CONFIG, digest: configDigest, size: configBytes.length }, layers: o.layers };
    const mBytes = Buffer.from(JSON.stringify(manifest));
    const digest = await this.#putBytes(mBytes);
    const idx = await this.#index();
    idx.manifests = idx.manifests.filter((d) => !o.tags.includes(d.annotations?.['org.opencontainers.image.ref.name'] ?? ''));
    for (const t of o.tags) idx.manifests.push({ mediaType: MANIFEST, digest, size: mBytes.length, annotations: { 'org.opencontainers.image.ref.name': t } });
    await writeFile(join(this.dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    await writeFile(join(this.dir, 'index.json'), JSON.stringify(idx));
    return { digest, id: configDigest, tags: o.tags, size: o.layers.reduce((n, l) => n + l.size, 0) };
  }

  async config(ref: string): Promise<ImageConfig> {
    return (await this.getImage(ref)).config;
  }
}
