// The pure decision for one Deployment: compare its template (by pod-template-hash) and replicas
// with the Pods it owns and say which Pods to make and which to delete. A rollout (the template
// changed) goes as Kubernetes' RollingUpdate goes: new Pods are made while the total stays within
// replicas + maxSurge; old Pods are deleted only while the Ready Pods stay at least replicas −
// maxUnavailable (old Pods that are not Ready go first: deleting them costs nothing). Recreate
// deletes every old Pod before making new ones. Without a template change the same rules scale.
import { createHash } from 'node:crypto';
import { canonicalJSON } from '../store/canonical.ts';
import { resolveIntOrPercent, type DeploymentSpec } from '../specs/deployment.ts';
import type { Decision } from './container-reconcile.ts';
import { byCodeUnit } from '../specs/order.ts';

export const DEPLOYMENT_RESYNC_MS = 10_000;

export interface OwnedPod {
  name: string;
  hash: string;
  ready: boolean;
}

export interface DeploymentDesiredView {
  name: string;
  hash: string;
  spec: DeploymentSpec;
}

export type DeploymentAction = { type: 'createPod'; hash: string } | { type: 'deletePod'; name: string; reason: string };

export interface DeploymentStatusView {
  replicas: number;
  updatedReplicas: number;
  readyReplicas: number;
  availableReplicas: number;
  unavailableReplicas: number;
  /** Ready Pods may not go below this during a rollout. */
  minAvailable: number;
}

// Kubernetes' SafeEncodeString alphabet: no vowels (no words), no 0/1/3 (look like letters).
const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** The template's hash as Kubernetes writes it in the pod-template-hash label (10 characters). */
export function podTemplateHash(template: DeploymentSpec['template']): string {
  const digest = createHash('sha256').update(canonicalJSON(template)).digest();
  return [...digest.subarray(0, 10)].map((b) => ALPHABET[b % ALPHABET.length]).join('');
}

/** A Pod's random suffix (5 characters of the same alphabet). */
export function podSuffix(random: () => number = Math.random): string {
  return Array.from({ length: 5 }, () => ALPHABET[Math.floor(random() * ALPHABET.length)]).join('');
}

export function rollingBounds(spec: DeploymentSpec): { maxSurge: number; maxUnavailable: number } {
  if (spec.strategy.type === 'Recreate') return { maxSurge: 0, maxUnavailable: spec.replicas };
  const ru = spec.strategy.rollingUpdate ?? { maxSurge: '25%', maxUnavailable: '25%' };
  const maxSurge = resolveIntOrPercent(ru.maxSurge, spec.replicas, true);
  let maxUnavailable = resolveIntOrPercent(ru.maxUnavailable, spec.replicas, false);
  // As Kubernetes: both zero would never progress; one may be unavailable then.
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable };
}

export function reconcileDeployment(desired: DeploymentDesiredView, pods: OwnedPod[]): Decision<DeploymentAction> {
  const { replicas } = desired.spec;
  const { maxSurge, maxUnavailable } = rollingBounds(desired.spec);
  const minAvailable = Math.max(0, replicas - maxUnavailable);
  const actions: DeploymentAction[] = [];
  const fresh = pods.filter((p) => p.hash === desired.hash);
  const old = pods.filter((p) => p.hash !== desired.hash);
  let ready = pods.filter((p) => p.ready).length;
  let total = pods.length;
  const del = (p: OwnedPod, reason: string) => {
    actions.push({ type: 'deletePod', name: p.name, reason });
    total--;
    if (p.ready) ready--;
  };
  // Old Pods: the unready ones at once, the ready ones while enough stay Ready.
  const oldFirst = [...old].sort((a, b) => Number(a.ready) - Number(b.ready) || byCodeUnit(a.name, b.name));
  for (const p of oldFirst) {
    if (desired.spec.strategy.type === 'Recreate' || !p.ready || ready - 1 >= minAvailable) del(p, 'its template is out of date');
  }
  // Too many new Pods (scaled down): the unready ones first.
  const surplus = fresh.length - replicas;
  if (surplus > 0) {
    [...fresh].sort((a, b) => Number(a.ready) - Number(b.ready) || byCodeUnit(b.name, a.name)).slice(0, surplus).forEach((p) => del(p, 'the Deployment has fewer replicas'));
  }
  // Recreate: new Pods only once the old ones are gone (a later decision).
  if (desired.spec.strategy.type === 'Recreate' && old.length > 0) return { actions, requeueAfter: DEPLOYMENT_RESYNC_MS };
  const canCreate = Math.min(replicas - Math.min(fresh.length, replicas), replicas + maxSurge - total);
  for (let i = 0; i < canCreate; i++) actions.push({ type: 'createPod', hash: desired.hash });
  return { actions, requeueAfter: DEPLOYMENT_RESYNC_MS };
}

/** Deployment status as Kubernetes reports it (counts over the Pods that exist now). */
export function deploymentStatus(desired: DeploymentDesiredView, pods: OwnedPod[]): DeploymentStatusView {
  const ready = pods.filter((p) => p.ready).length;
  const { maxUnavailable } = rollingBounds(desired.spec);
  return {
    replicas: pods.length,
    updatedReplicas: pods.filter((p) => p.hash === desired.hash).length,
    readyReplicas: ready,
    availableReplicas: ready,
    unavailableReplicas: Math.max(0, desired.spec.replicas - ready),
    minAvailable: Math.max(0, desired.spec.replicas - maxUnavailable),
  };
}
