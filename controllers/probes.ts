// Liveness and readiness probes as the kubelet runs them: after initialDelaySeconds, every
// periodSeconds, one check (exec / httpGet / tcpSocket) bounded by timeoutSeconds; the result only
// changes after successThreshold successes or failureThreshold failures in a row. A liveness
// probe that fails makes the container be restarted; a readiness probe sets the Ready condition.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { ContainerPort, Probe } from '../specs/schema.ts';
import type { ExecResult } from '../engine/runtime/runtime.ts';
import { type Clock } from './clock.ts';
import { errorMessage } from './errors.ts';

export interface ProbeOutcome {
  ok: boolean;
  /** Why it failed, as kubelet reports it (shown in the Unhealthy event). */
  message?: string;
}

/** What a probe needs from the container. */
export interface ProbeTarget {
  exec(command: string[], timeoutMs: number): Promise<ExecResult>;
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

/** Runs one check of the probe. Never rejects. */
export async function runProbe(probe: Probe, target: ProbeTarget): Promise<ProbeOutcome> {
  const timeoutMs = probe.timeoutSeconds * 1000;
  try {
    if (probe.exec) {
      const res = await target.exec(probe.exec.command, timeoutMs);
      if (res.exitCode === 0) return { ok: true };
      const out = Buffer.concat([res.stdout, res.stderr]).toString('utf8').trim().slice(0, 200);
      return { ok: false, message: `command ${JSON.stringify(probe.exec.command)} exited with ${res.exitCode}${out ? `: ${out}` : ''}` };
    }
    if (probe.httpGet) {
      const g = probe.httpGet;
      return await httpCheck({
        https: g.scheme === 'HTTPS',
        host: g.host ?? target.host,
        port: resolvePort(g.port, target.ports),
        path: g.path,
        headers: Object.fromEntries((g.httpHeaders ?? []).map((h) => [h.name, h.value])),
        timeoutMs,
      });
    }
    if (probe.tcpSocket) {
      return await tcpCheck(probe.tcpSocket.host ?? target.host, resolvePort(probe.tcpSocket.port, target.ports), timeoutMs);
    }
    return { ok: false, message: 'probe has no handler' };
  } catch (err) {
    return { ok: false, message: errorMessage(err) };
  }
}

function httpCheck(o: {
  https: boolean;
  host: string;
  port: number;
  path: string;
  headers: Record<string, string>;
  timeoutMs: number;
}): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const req = (o.https ? httpsRequest : httpRequest)(
      {
        host: o.host,
        port: o.port,
        path: o.path,
        method: 'GET',
        headers: { 'User-Agent': 'berth-probe/1.0', ...o.headers },
        timeout: o.timeoutMs,
        rejectUnauthorized: false, // kubelet does not verify probe certificates either
      },
      (res) => {
        res.resume();
        const code = res.statusCode ?? 0;
        // kubelet: 200 ≤ code < 400 is a success.
        resolve(code >= 200 && code < 400 ? { ok: true } : { ok: false, message: `HTTP probe failed with statuscode: ${code}` });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`Get "http://${o.host}:${o.port}${o.path}": timeout after ${o.timeoutMs} ms`)));
    req.on('error', (e) => resolve({ ok: false, message: e.message }));
    req.end();
  });
}

function tcpCheck(host: string, port: number, timeoutMs: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    const done = (r: ProbeOutcome) => {
      sock.destroy();
      resolve(r);
    };
    sock.setTimeout(timeoutMs, () => done({ ok: false, message: `dial tcp ${host}:${port}: i/o timeout` }));
    sock.once('connect', () => done({ ok: true }));
    sock.once('error', (e) => done({ ok: false, message: `dial tcp ${host}:${port}: ${e.message}` }));
  });
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
