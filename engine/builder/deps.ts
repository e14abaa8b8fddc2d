// What the builder needs from the image service (engine/images): base images for FROM and
// COPY --from, their blobs, and a place to put the new layers and the image. Declared here, narrow,
// so the builder depends on these few verbs only; engine/builder/image-store-adapter.ts adapts the
// ImageService (engine/images) to it.
import type { ImageConfig } from './image-config.ts';
import type { BuiltImage, Descriptor } from '../../specs/api/images.ts';

export interface BaseImage {
  /** The reference as resolved (e.g. "127.0.0.1:5000/busybox:latest"). */
  ref: string;
  /** Manifest digest. */
  digest: string;
  config: ImageConfig;
  /** Layer descriptors, bottom first (rootfs.diff_ids says their uncompressed digests). */
  layers: Descriptor[];
  /** The store's own record of it (handed back to layerDirs). */
  handle?: unknown;
}

export interface BuildImageStore {
  /** The image a FROM names: the local one, pulled when absent. */
  getImage(ref: string, onProgress?: (text: string) => void): Promise<BaseImage>;
  /** The image's layers unpacked as overlay lower directories, bottom first. */
  layerDirs(image: BaseImage): Promise<string[]>;
  hasBlob(digest: string): Promise<boolean>;
  /** Adds a file as a blob (the file may be moved); a blob already present is kept. */
  putBlobFile(path: string, desc: Descriptor): Promise<void>;
  /** Stores the config and manifest and points each tag at it. */
  commitImage(o: { config: ImageConfig; layers: Descriptor[]; tags: string[] }): Promise<BuiltImage>;
}

export const LAYER_TAR = 'application/vnd.oci.image.layer.v1.tar';
