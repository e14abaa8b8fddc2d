// How an image's name is kept on its index.json entry, as the OCI image spec and containerd write
// it: `org.opencontainers.image.ref.name` holds the tag only (what `skopeo ... oci:DIR:TAG` and
// `umoci --image DIR:TAG` name), `io.containerd.image.name` the full reference (containerd's
// `ctr images export` and `import` use both). Stores written by berth before this held the full
// reference in ref.name: both are read, and an entry is rewritten the new way when it is next set.
import type { Descriptor } from '../../specs/api/images.ts';

export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';
export const IMAGE_NAME_ANNOTATION = 'io.containerd.image.name';

/**
 * What follows the repository in a normalised reference — "tag", "tag@sha256:…" or "@sha256:…" —
 * as containerd's ociReferenceName takes it (reference.Spec.Object).
 */
export function refObject(fullRef: string): string {
  const slash = fullRef.lastIndexOf('/');
  const at = fullRef.indexOf('@');
  const colon = fullRef.indexOf(':', slash + 1);
  const cut = colon >= 0 && (at < 0 || colon < at) ? colon + 1 : at;
  return cut >= 0 ? fullRef.slice(cut) : fullRef;
}

/** The annotations naming `fullRef` (a normalised reference: domain/path[:tag][@digest]). */
export function nameAnnotations(fullRef: string): Record<string, string> {
  return { [IMAGE_NAME_ANNOTATION]: fullRef, [REF_NAME_ANNOTATION]: refObject(fullRef) };
}

/**
 * The full reference an index entry names: containerd's annotation, else a ref.name that is a whole
 * reference (berth's older stores; a tag never holds a "/"). A bare tag names no repository.
 */
export function imageNameOf(desc: Pick<Descriptor, 'annotations'>): string | undefined {
  const full = desc.annotations?.[IMAGE_NAME_ANNOTATION];
  if (full) return full;
  const ref = desc.annotations?.[REF_NAME_ANNOTATION];
  return ref?.includes('/') ? ref : undefined;
}
