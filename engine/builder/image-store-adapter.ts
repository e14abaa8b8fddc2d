// The builder's image port over the ImageService: FROM images are resolved or pulled, their layers
// unpacked by the snapshotter (shared with containers), new layer blobs moved into the content
// store, and the result committed and tagged there.
import { createReadStream } from 'node:fs';
import { rename } from 'node:fs/promises';
import type { ImageRecord, ImageService } from '../images/service.ts';
import type { ImageConfig } from './image-config.ts';
import type { BaseImage, BuildImageStore } from './deps.ts';
import type { BuiltImage, Descriptor } from '../../specs/api/images.ts';

export class ImageServicePort implements BuildImageStore {
  constructor(readonly images: ImageService) {}

  async getImage(ref: string, onProgress?: (text: string) => void): Promise<BaseImage> {
    const rec = await this.images.ensure(ref, 'IfNotPresent', (e) => {
      if (e.status === 'done' || e.status === 'resolving') onProgress?.(`${e.id}: ${e.status === 'done' ? 'pulled' : 'resolving'}`);
    });
    return { ref: rec.ref, digest: rec.digest, config: { ...rec.config, config: rec.config.config ?? {} } as ImageConfig, layers: rec.layers, handle: rec };
  }

  async layerDirs(image: BaseImage): Promise<string[]> {
    return this.images.layerDirs(image.handle as ImageRecord);
  }

  async hasBlob(digest: string): Promise<boolean> {
    return this.images.content.has(digest);
  }

  async putBlobFile(path: string, desc: Descriptor): Promise<void> {
    if (this.images.content.has(desc.digest)) return;
    try {
      // The layer was hashed as it was written: moving it in saves reading it again.
      await rename(path, this.images.content.blobPath(desc.digest));
    } catch {
      await this.images.content.putStream(createReadStream(path), { digest: desc.digest, size: desc.size });
    }
  }

  async commitImage(o: { config: ImageConfig; layers: Descriptor[]; tags: string[] }): Promise<BuiltImage> {
    const rec = await this.images.commit({ config: o.config, layers: o.layers, refs: o.tags });
    return { digest: rec.digest, id: rec.id, tags: o.tags, size: rec.size };
  }
}
