// The Kubernetes kinds berth accepts as they are written for a cluster, each stored as one of its
// own: the apiVersion it comes with, the schema it is checked against, the field triage done
// first (warnings for what berth ignores, errors for what it refuses; triage.ts), and the
// conversion to berth's object.
import type { z } from 'zod';
import type { Manifest } from '../objects.ts';
import { foreignKinds as volumeKinds } from '../volume.ts';
import { KubeConfigMapObject, KubeSecretObject, kubeConfigMapToConfigMap, kubeSecretToSecret } from '../config-data.ts';
import { KubeDeploymentObject, kubeDeploymentToDeployment } from '../deployment.ts';
import { KubePodObject, kubePodToPod, METADATA_RULES, POD_SPEC_RULES, prepareKubePod } from './pod.ts';
import { object, refuseIf, RUN, triage, warn, type Triaged } from './triage.ts';
import { KubeServiceObject, kubeServiceToService } from '../service.ts';

export interface ForeignKind {
  apiVersion: string;
  /** The berth kind it is stored as. */
  kind: string;
  schema: z.ZodType;
  convert(parsed: never): Manifest;
  prepare?(value: Record<string, unknown>): Triaged;
}

const STATUS = { kind: 'warn' as const, why: 'status is reported by berth' };

const notOnOneHost = (what: string) => warn(`${what} is a cluster's; on one host the Service forwards its node port to its Pods`);
const SERVICE_RULES = {
  type: refuseIf((t) => t === 'LoadBalancer' || t === 'ExternalName', 'type LoadBalancer or ExternalName needs a cluster; use ClusterIP or NodePort', 'run'),
  externalName: refuseIf(() => true, 'berth does not support ExternalName Services; use a ClusterIP or NodePort Service'),
  clusterIP: RUN,
  clusterIPs: warn('the cluster gives the addresses; berth names the Pods'),
  ipFamilies: warn('berth\'s networks are IPv4'),
  ipFamilyPolicy: warn('berth\'s networks are IPv4'),
  sessionAffinity: notOnOneHost('sessionAffinity'),
  sessionAffinityConfig: notOnOneHost('sessionAffinityConfig'),
  externalTrafficPolicy: notOnOneHost('externalTrafficPolicy'),
  internalTrafficPolicy: notOnOneHost('internalTrafficPolicy'),
  externalIPs: refuseIf((v) => Array.isArray(v) && v.length > 0, 'berth does not support externalIPs (traffic to them would not arrive); use a NodePort'),
  loadBalancerIP: warn('no load balancer on one host'),
  loadBalancerSourceRanges: warn('no load balancer on one host'),
  publishNotReadyAddresses: warn('only Ready Pods get traffic'),
  healthCheckNodePort: warn('no load balancer on one host'),
  allocateLoadBalancerNodePorts: warn('no load balancer on one host'),
};

export const kubeKinds: Record<string, ForeignKind> = {
  ...(volumeKinds as unknown as Record<string, ForeignKind>),
  Pod: { apiVersion: 'v1', kind: 'Pod', schema: KubePodObject, convert: kubePodToPod as ForeignKind['convert'], prepare: prepareKubePod },
  Deployment: {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    schema: KubeDeploymentObject,
    convert: kubeDeploymentToDeployment as ForeignKind['convert'],
    prepare: (v) =>
      triage(v, {
        metadata: object(METADATA_RULES),
        status: STATUS,
        spec: object({
          selector: object({ matchExpressions: refuseIf((x) => Array.isArray(x) && x.length > 0, 'berth does not support matchExpressions; select the Pods with matchLabels') }),
          template: object({ metadata: object({ ...METADATA_RULES, name: warn('a Deployment names its Pods itself') }), spec: object(POD_SPEC_RULES) }),
          minReadySeconds: warn('a Pod counts as available as soon as it is Ready'),
          revisionHistoryLimit: warn('berth keeps no old ReplicaSets: a rollout replaces Pods directly'),
          progressDeadlineSeconds: warn('a rollout that does not progress is shown in status, never marked failed'),
          paused: refuseIf((x) => x === true, 'berth does not support a paused Deployment (it would roll it out); remove paused'),
        }),
      }),
  },
  ConfigMap: { apiVersion: 'v1', kind: 'ConfigMap', schema: KubeConfigMapObject, convert: kubeConfigMapToConfigMap as ForeignKind['convert'], prepare: (v) => triage(v, { metadata: object(METADATA_RULES) }) },
  Service: { apiVersion: 'v1', kind: 'Service', schema: KubeServiceObject, convert: kubeServiceToService as ForeignKind['convert'], prepare: (v) => triage(v, { metadata: object(METADATA_RULES), status: STATUS, spec: object(SERVICE_RULES) }) },
  Secret: { apiVersion: 'v1', kind: 'Secret', schema: KubeSecretObject, convert: kubeSecretToSecret as ForeignKind['convert'], prepare: (v) => triage(v, { metadata: object(METADATA_RULES) }) },
};

/** The Kubernetes kind a document is, if it is one: by kind, and by apiVersion where berth has a kind of that name too. */
export function kubeKindOf(apiVersion: unknown, kind: unknown, berthKinds: Record<string, unknown>): ForeignKind | undefined {
  if (typeof kind !== 'string') return undefined;
  const k = kubeKinds[kind];
  if (!k) return undefined;
  if (kind in berthKinds && apiVersion !== k.apiVersion) return undefined;
  return k;
}
