// The Service kind, as one host can have it: a name on the network for the Pods it selects (each
// selected Pod's sandbox carries the name: the network's /etc/hosts resolves it), and — type
// NodePort — a port of the host that the daemon forwards to the Ready Pods it selects (a TCP
// proxy, round-robin; the node port is the one asked for, else a free one of 30000-32767, shown in
// status). A `v1 Service` is accepted as written for a cluster (ClusterIP, NodePort; headless
// clusterIP: None). ExternalName and LoadBalancer are refused: their meaning needs a cluster.
import { z } from 'zod';
import { API_VERSION, labelMap, name, ObjectMeta } from './meta.ts';
import { KubeMeta, namespacedMeta } from './kube/pod.ts';

export const ServicePort = z.strictObject({
  name: z.string().optional(),
  port: z.number().int().min(1).max(65535),
  targetPort: z.union([z.number().int().min(1).max(65535), z.string().min(1)]).optional(),
  protocol: z.enum(['TCP']).default('TCP'),
  nodePort: z.number().int().min(1).max(65535).optional(),
  appProtocol: z.string().optional(),
});

export const ServiceSpec = z
  .strictObject({
    type: z.enum(['ClusterIP', 'NodePort']).default('ClusterIP'),
    selector: labelMap.optional(),
    ports: z.array(ServicePort).default([]),
    /** "None": a headless Service (names only); an address is the cluster's to give, so any other is ignored. */
    clusterIP: z.string().optional(),
  })
  .superRefine((s, ctx) => {
    s.ports.forEach((p, i) => {
      if (p.nodePort !== undefined && s.type !== 'NodePort') ctx.addIssue({ code: 'custom', path: ['ports', i, 'nodePort'], message: 'a nodePort needs type: NodePort' });
      if (s.ports.length > 1 && !p.name) ctx.addIssue({ code: 'custom', path: ['ports', i, 'name'], message: 'a Service with several ports must name each one' });
    });
  });

export const ServiceObject = z.strictObject({ apiVersion: z.literal(API_VERSION), kind: z.literal('Service'), metadata: ObjectMeta, spec: ServiceSpec });
export const KubeServiceObject = z.strictObject({ apiVersion: z.literal('v1'), kind: z.literal('Service'), metadata: KubeMeta, spec: ServiceSpec, status: z.unknown().optional() });

export type ServiceSpec = z.output<typeof ServiceSpec>;
export type ServiceManifest = z.output<typeof ServiceObject>;

export function kubeServiceToService(s: z.output<typeof KubeServiceObject>): ServiceManifest {
  return { apiVersion: API_VERSION, kind: 'Service', metadata: namespacedMeta(s.metadata), spec: s.spec };
}

/** Whether a Service selects Pods with these labels (a Service without a selector selects none). */
export function selects(spec: ServiceSpec, labels: Record<string, string> | undefined): boolean {
  const sel = Object.entries(spec.selector ?? {});
  return sel.length > 0 && sel.every(([k, v]) => labels?.[k] === v);
}

export { name };
