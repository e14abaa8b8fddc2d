// Liveness and readiness probes as the kubelet runs them: after initialDelaySeconds, every
// periodSeconds, one check (exec / httpGet / tcpSocket) bounded by timeoutSeconds; the result only
// changes after successThreshold successes or failureThreshold failures in a row. A liveness
// probe that fails makes the container be restarted; a readiness probe sets the Ready condition.
// The check itself (a process, a socket) is the engine's probe verb (engine/probes.ts); here are
// the timing, the thresholds and what the results mean.
import type { ContainerPort, Probe } from '../specs/schema.ts';
import type { ProbeCheck, ProbeOutcome } from '../engine/engine.ts';
import { type Clock } from './clock.ts';
import { errorMessage } from './errors.ts';

/** What a probe needs from the container. */
export interface ProbeTarget {
  /** Runs one resolved check (the engine's probe verb for this container). */
  run(check: ProbeCheck): Promise<ProbeOutcome>;
  /** Address to connect to for httpGet/tcpSocket when the probe names no host. */
  host: string;
  ports: ContainerPort[];
}

function resolvePort(port: number | string, ports: ContainerPort[]): number {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const named = ports.find((p) => p.name === port);
  if (!named) throw new Error(`probe port "${port}" names no port of the container (add it to spec.ports with that name)`);
  return named.containerPort;
}

/** The check a probe asks for, its named port and default host resolved; undefined without a handler. */
export function probeCheck(probe: Probe, target: Pick<ProbeTarget, 'host' | 'ports'>): ProbeCheck | undefined {
  const timeoutMs = probe.timeoutSeconds * 1000;
  if (probe.exec) return { exec: { command: probe.exec.command }, timeoutMs };
  if (probe.httpGet) {
    const g = probe.httpGet;
    return {
      httpGet: {
        scheme: g.scheme,
        host: g.host ?? target.host,
        port: resolvePort(g.port, target.ports),
        path: g.path,
        headers: Object.fromEntries((g.httpHeaders ?? []).map((h) => [h.name, h.value])),
      },
      timeoutMs,
    };
  }
  if (probe.tcpSocket) {
    const t = probe.tcpSocket;
    return { tcpSocket: { host: t.host ?? target.host, port: resolvePort(t.port, target.ports) }, timeoutMs };
  }
  return undefined;
}

/** Runs one check of the probe. Never rejects. */
export async function runProbe(probe: Probe, target: ProbeTarget): Promise<ProbeOutcome> {
  try {
    const check = probeCheck(probe, target);
    return check ? await target.run(check) : { ok: false, message: 'probe has no handler' };
  } catch (err) {
    return { ok: false, message: errorMessage(err) };
  }
}

/** The threshold logic, pure: feed each check's outcome, read whether the result flipped. */
export class ProbeCounter {
  #successes = 0;
  #failures = 0;
  /** undefined until the first threshold is reached. */
  result: boolean | undefined;

  constructor(readonly probe: Pick<Probe, 'successThreshold' | 'failureThreshold'>) {}

  /** Records one outcome; returns the new result when it changed, otherwise undefined. */
  record(ok: boolean): boolean | undefined {
    if (ok) {
      this.#failures = 0;
      this.#successes++;
      if (this.result !== true && this.#successes >= this.probe.successThreshold) return (this.result = true);
    } else {
      this.#successes = 0;
      this.#failures++;
      if (this.result !== false && this.#failures >= this.probe.failureThreshold) return (this.result = false);
    }
    return undefined;
  }
}

export type ProbeKind = 'liveness' | 'readiness';

/**
 * Runs a probe on `clock` until stopped: calls onResult each time the thresholded result changes
 * (and onCheck for every failed check, for the Unhealthy event). Returns the stop function.
 */
export function startProber(o: {
  probe: Probe;
  clock: Clock;
  check: () => Promise<ProbeOutcome>;
  onResult: (ok: boolean, message?: string) => void;
  onFailedCheck?: (message: string) => void;
}): () => void {
  const counter = new ProbeCounter(o.probe);
  let stopped = false;
  let timer: unknown;
  const tick = async () => {
    const outcome = await o.check();
    if (stopped) return;
    if (!outcome.ok) o.onFailedCheck?.(outcome.message ?? 'probe failed');
    const flipped = counter.record(outcome.ok);
    if (flipped !== undefined) o.onResult(flipped, outcome.message);
    if (!stopped) timer = o.clock.setTimeout(() => void tick(), o.probe.periodSeconds * 1000);
  };
  timer = o.clock.setTimeout(() => void tick(), o.probe.initialDelaySeconds * 1000);
  return () => {
    stopped = true;
    o.clock.clearTimeout(timer);
  };
}
