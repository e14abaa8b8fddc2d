// Every kind berth stores, by name: the schema its manifests are checked against. Its own module
// because the Pod's schema is built from the Container's (schema.ts → pod.ts → here).
import { ContainerObject, ImageObject } from './schema.ts';
import { PodObject } from './pod.ts';
import { VolumeObject } from './volume.ts';
import { ConfigMapObject, SecretObject } from './config-data.ts';
import { DeploymentObject } from './deployment.ts';
import { ServiceObject } from './service.ts';

export const kindSchemas = { Image: ImageObject, Container: ContainerObject, Volume: VolumeObject, Pod: PodObject, Deployment: DeploymentObject, ConfigMap: ConfigMapObject, Secret: SecretObject, Service: ServiceObject } as const;
