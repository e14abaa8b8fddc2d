// The Deployment kind: `replicas` Pods made from one template, named as Kubernetes names them
// (`<deployment>-<pod-template-hash>-<5 chars>`), replaced one step at a time when the template
// changes (strategy RollingUpdate, maxSurge / maxUnavailable as numbers or percentages; or
// Recreate). An `apps/v1 Deployment` is accepted as it is written for a cluster and converted
// (kube/ tables say which of its fields berth runs, ignores with a warning, or refuses).
import { z } from 'zod';
import { API_VERSION, labelMap, ObjectMeta } from './meta.ts';
import { PodSpec, memberName } from './pod.ts';
import { KubeMeta, namespacedMeta, namespacedPodSpec, NAMESPACE_LABEL } from './kube/pod.ts';

const intOrPercent = z.union([z.number().int().min(0), z.string().regex(/^\d+%$/, 'must be a number or a percentage such as "25%"')]);

export const DeploymentSpec = z
  .strictObject({
    replicas: z.number().int().min(0).default(1),
    selector: z.strictObject({ matchLabels: labelMap.optional() }).optional(),
    template: z.strictObject({ metadata: z.strictObject({ labels: labelMap.optional(), annotations: labelMap.optional() }).default({}), spec: PodSpec }),
    strategy: z
      .strictObject({
        type: z.enum(['RollingUpdate', 'Recreate']).default('RollingUpdate'),
        rollingUpdate: z.strictObject({ maxUnavailable: intOrPercent.default('25%'), maxSurge: intOrPercent.default('25%') }).optional(),
      })
      .default({ type: 'RollingUpdate' }),
  })
  .superRefine((spec, ctx) => {
    const labels = spec.template.metadata.labels ?? {};
    for (const [k, v] of Object.entries(spec.selector?.matchLabels ?? {})) {
      if (labels[k] !== v) ctx.addIssue({ code: 'custom', path: ['selector', 'matchLabels', k], message: `selector does not match template labels: the template has no label ${k}=${v}` });
    }
    const ru = spec.strategy.rollingUpdate;
    if (spec.strategy.type === 'Recreate' && ru) ctx.addIssue({ code: 'custom', path: ['strategy', 'rollingUpdate'], message: 'may not be given when strategy.type is Recreate' });
    if (ru && resolveIntOrPercent(ru.maxSurge, 10, true) === 0 && resolveIntOrPercent(ru.maxUnavailable, 10, false) === 0) {
      ctx.addIssue({ code: 'custom', path: ['strategy', 'rollingUpdate', 'maxUnavailable'], message: 'may not be 0 when maxSurge is 0 (the rollout could never make progress)' });
    }
  });

export const DeploymentObject = z
  .strictObject({ apiVersion: z.literal(API_VERSION), kind: z.literal('Deployment'), metadata: ObjectMeta, spec: DeploymentSpec })
  .superRefine((d, ctx) => checkNames(d.metadata.name, d.spec, ctx));

export const KubeDeploymentObject = z
  .strictObject({
    apiVersion: z.literal('apps/v1'),
    kind: z.literal('Deployment'),
    metadata: KubeMeta,
    spec: DeploymentSpec,
    status: z.unknown().optional(),
  })
  .superRefine((d, ctx) => {
    if (!d.spec.selector) ctx.addIssue({ code: 'custom', path: ['spec'], message: 'missing required field "selector" (apps/v1 needs spec.selector.matchLabels)' });
    checkNames(namespacedMeta(d.metadata).name, d.spec, ctx);
  });

export type DeploymentSpec = z.output<typeof DeploymentSpec>;
export type DeploymentManifest = z.output<typeof DeploymentObject>;

/** Its Pods' names and their members' must be DNS labels: `<name>-<10>-<5>-<container>` at most 63. */
function checkNames(name: string, spec: DeploymentSpec, ctx: z.RefinementCtx): void {
  for (const list of ['initContainers', 'containers'] as const) {
    spec.template.spec[list]?.forEach((c, i) => {
      const longest = memberName(`${name}-${'x'.repeat(10)}-xxxxx`, c.name);
      if (longest.length > 63) ctx.addIssue({ code: 'custom', path: ['metadata', 'name'], message: `its Pods' containers would be named like "${longest}", longer than 63 characters; shorten the Deployment's name or container "${c.name}"'s (at spec.template.spec.${list}[${i}])` });
    });
  }
}

export function kubeDeploymentToDeployment(d: z.output<typeof KubeDeploymentObject>): DeploymentManifest {
  const ns = d.metadata.namespace && d.metadata.namespace !== 'default' ? d.metadata.namespace : undefined;
  const labels = { ...(d.spec.template.metadata.labels ?? {}), ...(ns ? { [NAMESPACE_LABEL]: ns } : {}) };
  return {
    apiVersion: API_VERSION,
    kind: 'Deployment',
    metadata: namespacedMeta(d.metadata),
    spec: { ...d.spec, template: { metadata: { ...d.spec.template.metadata, labels }, spec: namespacedPodSpec(ns, d.spec.template.spec) } },
  };
}

/** maxSurge rounds up, maxUnavailable down (as Kubernetes does). */
export function resolveIntOrPercent(v: number | string, replicas: number, roundUp: boolean): number {
  if (typeof v === 'number') return v;
  const pct = (Number(v.slice(0, -1)) * replicas) / 100;
  return roundUp ? Math.ceil(pct) : Math.floor(pct);
}

