// The pure decision for one Pod name: compare the Pod object (if any) with its sandbox and its
// member Container objects and say what to do. The members' own lifecycles (create, start,
// restart with backoff, probes) are their Container controllers'; the Pod decides which members
// exist, in which order, and when the shared namespaces come and go:
//  - the sandbox first (ensured every time: cheap when healthy);
//  - init containers one at a time, in order, each only after the one before it completed (exit 0);
//    a failing one is restarted by its own controller (restartPolicy OnFailure) with backoff, and
//    the containers after it are never made;
//  - then every container;
//  - a Pod whose spec changed (or a new Pod of the same name) is torn down and made again, as
//    Kubernetes replaces a Pod: members deleted, their containers gone, then the sandbox released;
//  - a deleted Pod: its members deleted, and once the engine has none of their containers left,
//    its sandbox released.
import type { SandboxRequest } from '../engine/engine.ts';
import type { ContainerResource } from '../specs/api/containers.ts';
import type { Decision } from './container-reconcile.ts';

/** While members' containers are still being removed, the Pod is looked at again this often. */
export const TEARDOWN_POLL_MS = 250;
/** Status is looked at again this often (members' statuses also enqueue the Pod). */
export const POD_RESYNC_MS = 10_000;

export interface DesiredMember {
  /** The Container object's name (`<pod>-<container>`). */
  object: string;
  /** The container's name in the Pod. */
  name: string;
  init: boolean;
  /** The member's ContainerSpec, defaulted (absent when configError). */
  spec?: ContainerResource['spec'];
  /** Canonical form of spec, to compare with the stored member's. */
  specKey: string;
  /** A ConfigMap or Secret it needs is missing (kubelet's CreateContainerConfigError): not made until it is there. */
  configError?: string;
}

export interface PodDesiredView {
  name: string;
  uid: string;
  sandbox: SandboxRequest;
  /** Init containers first, in order, then the containers. */
  members: DesiredMember[];
  /** Its names on the network besides its own: its host name, the Services that select it. */
  aliases: string[];
}

export interface ObservedMember {
  object: string;
  /** The uid of the Pod it was made for (spec.pod.uid). */
  podUid: string;
  specKey: string;
  status: ContainerResource['status'];
}

export interface PodObservedView {
  /** Sandboxes made for this Pod name (normally one; a replaced Pod's until it is released). */
  sandboxes: Array<{ uid: string; specHash: string; aliases?: string[] }>;
  /** Member Container objects of this Pod name (label berth.dev/pod). */
  members: ObservedMember[];
  /** Engine containers of member names that are still there (being removed after a delete). */
  engineContainersLeft: number;
}

export type PodAction =
  | { type: 'ensureSandbox'; request: SandboxRequest }
  | { type: 'setAliases'; uid: string; aliases: string[] }
  | { type: 'putMember'; member: DesiredMember }
  | { type: 'deleteMember'; object: string; reason: string }
  | { type: 'removeSandbox'; uid: string };

/** An init member finished for good: exited 0. */
export function completed(status: ContainerResource['status'] | undefined): boolean {
  if (!status || status.phase !== 'Exited') return false;
  const st = status.state;
  return !!st && 'terminated' in st && st.terminated.exitCode === 0;
}

export function reconcilePod(desired: PodDesiredView | undefined, observed: PodObservedView): Decision<PodAction> {
  const actions: PodAction[] = [];
  const stale = desired ? observed.sandboxes.filter((s) => s.uid !== desired.uid || s.specHash !== desired.sandbox.specHash) : observed.sandboxes;
  const staleMembers = desired ? observed.members.filter((m) => m.podUid !== desired.uid || stale.length > 0) : observed.members;
  if (!desired || stale.length || staleMembers.length) {
    // Teardown (all of it, or what belongs to a replaced Pod): members first, the sandbox last.
    const reason = desired ? 'its Pod changed and is made again' : 'its Pod was deleted';
    for (const m of staleMembers) actions.push({ type: 'deleteMember', object: m.object, reason });
    if (staleMembers.length || observed.engineContainersLeft > 0) return { actions, requeueAfter: TEARDOWN_POLL_MS };
    for (const s of stale) actions.push({ type: 'removeSandbox', uid: s.uid });
    if (!desired) return { actions };
  }
  actions.push({ type: 'ensureSandbox', request: desired.sandbox });
  const current = observed.sandboxes.find((s) => s.uid === desired.uid);
  const initial = desired.sandbox.hostname !== desired.name ? [desired.sandbox.hostname] : [];
  if (desired.sandbox.network !== 'host' && (current?.aliases ?? initial).join(',') !== desired.aliases.join(',')) actions.push({ type: 'setAliases', uid: desired.uid, aliases: desired.aliases });
  const have = new Map(observed.members.map((m) => [m.object, m]));
  const wanted = new Set(desired.members.map((m) => m.object));
  for (const m of observed.members) if (!wanted.has(m.object)) actions.push({ type: 'deleteMember', object: m.object, reason: 'its Pod no longer has this container' });
  for (const m of desired.members) {
    const cur = have.get(m.object);
    if (m.configError) {
      if (m.init) break;
      continue;
    }
    if (!cur || cur.specKey !== m.specKey) actions.push({ type: 'putMember', member: m });
    // An init container holds back everything after it until it has completed.
    if (m.init && !completed(cur?.specKey === m.specKey ? cur.status : undefined)) break;
  }
  return { actions, requeueAfter: POD_RESYNC_MS };
}
