// A Pod's status from its members' statuses, as kubelet reports one (pure): per-container statuses
// (initContainerStatuses, containerStatuses), the phase (Pending, Running, Succeeded, Failed), the
// reason `kubectl get pods` shows in STATUS (Init:1/2, Init:Error, PodInitializing,
// CrashLoopBackOff, Running, Completed, Error…), and the conditions Initialized, ContainersReady
// and Ready.
import type { Condition } from '../specs/schema.ts';
import type { ContainerResource } from '../specs/api/containers.ts';
import type { PodContainerStatus, PodStatus } from '../specs/pod.ts';
import { mergeConditions } from './status.ts';
import { completed, type DesiredMember } from './pod-reconcile.ts';

type MemberStatus = ContainerResource['status'] | undefined;

function containerStatusOf(m: DesiredMember, s: MemberStatus): PodContainerStatus {
  const running = s?.phase === 'Running' || s?.phase === 'Paused';
  return {
    name: m.name,
    member: m.object,
    ready: !!s?.ready,
    started: running,
    restartCount: s?.restartCount ?? 0,
    image: s?.image ?? m.spec?.image ?? '',
    ...(s?.imageID ? { imageID: s.imageID } : {}),
    ...(s?.containerID ? { containerID: s.containerID } : {}),
    state: m.configError ? { waiting: { reason: 'CreateContainerConfigError', message: m.configError } } : (s?.state ?? { waiting: { reason: m.init ? 'PodInitializing' : 'ContainerCreating' } }),
    ...(s?.lastState ? { lastState: s.lastState } : {}),
  };
}

/** The exit code of the member's latest run, when it ended with an error. */
function failedExit(s: MemberStatus): number | undefined {
  const t = (s?.state && 'terminated' in s.state ? s.state.terminated : undefined) ?? s?.lastState?.terminated;
  return t && t.exitCode !== 0 ? t.exitCode : undefined;
}

export interface PodStatusInput {
  generation: number;
  restartPolicy: 'Always' | 'OnFailure' | 'Never';
  members: DesiredMember[];
  statuses: Map<string, MemberStatus>;
  podIP?: string;
  ports?: PodStatus['ports'];
  /** Being torn down and made again (its spec changed). */
  recreating?: boolean;
  prevConditions?: Condition[];
  now: string;
}

export function podStatus(o: PodStatusInput): PodStatus {
  const inits = o.members.filter((m) => m.init);
  const mains = o.members.filter((m) => !m.init);
  const st = (m: DesiredMember) => o.statuses.get(m.object);
  const initStatuses = inits.map((m) => containerStatusOf(m, st(m)));
  const mainStatuses = mains.map((m) => containerStatusOf(m, st(m)));
  const doneInits = inits.filter((m) => completed(st(m))).length;
  const initialized = doneInits === inits.length;
  const current = inits.find((m) => !completed(st(m)));
  let phase: PodStatus['phase'] = 'Pending';
  let reason: string;
  let message: string | undefined;
  if (o.recreating) reason = 'Terminating';
  else if (!initialized) {
    const s = st(current!);
    if (current!.configError) {
      reason = 'Init:CreateContainerConfigError';
      message = current!.configError;
    } else if (failedExit(s) !== undefined) {
      reason = 'Init:Error';
      message = s?.message ?? `init container "${current!.name}" exited with code ${failedExit(s)}`;
      if (o.restartPolicy === 'Never' && s?.phase === 'Exited') phase = 'Failed';
    } else if (s?.state && 'waiting' in s.state && s.state.waiting.reason !== 'ContainerCreating' && s.phase !== 'Creating' && s.phase !== 'Pending') {
      reason = `Init:${s.state.waiting.reason}`;
      message = s.state.waiting.message;
    } else reason = `Init:${doneInits}/${inits.length}`;
  } else {
    const ss = mains.map(st);
    const running = ss.filter((s) => s?.phase === 'Running' || s?.phase === 'Paused').length;
    const exited = ss.filter((s) => s?.phase === 'Exited');
    const waiting = mainStatuses.map((c) => ('waiting' in c.state ? c.state.waiting : undefined)).find((w) => w && !['ContainerCreating', 'Pending', 'Creating', 'PodInitializing'].includes(w.reason));
    if (exited.length === mains.length && o.restartPolicy !== 'Always') {
      const failed = exited.some((s) => failedExit(s) !== undefined);
      phase = failed ? 'Failed' : 'Succeeded';
      reason = failed ? 'Error' : 'Completed';
    } else if (waiting) {
      reason = waiting.reason;
      message = waiting.message;
      if (running) phase = 'Running';
    } else if (running) {
      phase = 'Running';
      reason = 'Running';
    } else reason = inits.length ? 'PodInitializing' : 'ContainerCreating';
  }
  const allReady = mainStatuses.every((c) => c.ready) && phase === 'Running';
  const notReady = mainStatuses.filter((c) => !c.ready).map((c) => c.name);
  const conditions = mergeConditions(
    o.prevConditions,
    [
      { type: 'PodScheduled', status: 'True', reason: 'Scheduled' },
      initialized ? { type: 'Initialized', status: 'True', reason: 'Initialized' } : { type: 'Initialized', status: 'False', reason: 'ContainersNotInitialized', message: `containers with incomplete status: [${inits.filter((m) => !completed(st(m))).map((m) => m.name).join(' ')}]` },
      allReady ? { type: 'ContainersReady', status: 'True', reason: 'ContainersReady' } : { type: 'ContainersReady', status: 'False', reason: 'ContainersNotReady', message: `containers with unready status: [${notReady.join(' ')}]` },
      allReady ? { type: 'Ready', status: 'True', reason: 'Ready' } : { type: 'Ready', status: 'False', reason: 'ContainersNotReady', message: `containers with unready status: [${notReady.join(' ')}]` },
    ],
    o.now,
  );
  const started = [...initStatuses, ...mainStatuses].map((c) => ('running' in c.state ? c.state.running.startedAt : 'terminated' in c.state ? c.state.terminated.startedAt : undefined)).filter((t): t is string => !!t).sort()[0];
  return {
    observedGeneration: o.generation,
    phase,
    reason,
    ...(message ? { message } : {}),
    ...(o.podIP ? { podIP: o.podIP } : {}),
    ...(o.ports?.length ? { ports: o.ports } : {}),
    ...(started ? { startTime: started } : {}),
    conditions,
    initContainerStatuses: initStatuses,
    containerStatuses: mainStatuses,
  };
}
