// Every kind at once: the unions of stored objects and of manifests, which the store, the API and
// the apply path take. Here, apart from the kinds, so that each kind's file takes its base types
// from schema.ts and meta.ts without importing the union that names it.
import type { z } from 'zod';
import type { ContainerResource } from './api/containers.ts';
import type { ConfigMapManifest, SecretManifest } from './config-data.ts';
import type { DeploymentManifest } from './deployment.ts';
import type { PodManifest, PodResource } from './pod.ts';
import type { ContainerObject, GenericResource, ImageObject, ImageResource, VolumeResource } from './schema.ts';
import type { ServiceManifest } from './service.ts';
import type { VolumeObject } from './volume.ts';

export type Resource = ImageResource | ContainerResource | VolumeResource | PodResource | GenericResource<DeploymentManifest> | GenericResource<ConfigMapManifest> | GenericResource<SecretManifest> | GenericResource<ServiceManifest>;

/** A validated, defaulted manifest object as written by a user (no bookkeeping yet). */
export type Manifest = z.output<typeof ImageObject> | z.output<typeof ContainerObject> | z.output<typeof VolumeObject> | PodManifest | DeploymentManifest | ConfigMapManifest | SecretManifest | ServiceManifest;

/** Identifies one object: kinds are unique by name. */
export interface ObjectRef {
  kind: string;
  name: string;
}
