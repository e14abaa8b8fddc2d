// `berth run` / `berth create` in Docker's words → a Container object in Kubernetes' words. The one
// place where Docker's flags get their meaning (the reverse, for `inspect`, is in specs/docker/
// command.ts and restart.ts): arguments replace CMD verbatim, --entrypoint replaces ENTRYPOINT,
// Docker's restart names are kept, `-p PORT` and -P pick free host ports, --rm removes the object.
import { InvalidArgumentError } from '../errdefs.ts';
import { parseDurationNs } from '../duration.ts';
import { parsePublish } from '../ports.ts';
import { dockerCommand, escapeVars } from './command.ts';
import type { HostAlias } from './fields.ts';
import { parseDockerRestart } from './restart.ts';
import { mountSpec, type MountFlags, type MountSpec } from '../mounts.ts';
import { dockerSecurity, type DockerSecurityFlags } from './security.ts';

export interface DockerRunOptions extends MountFlags, DockerSecurityFlags {
  name?: string;
  rm?: boolean;
  /** With rm: the daemon removes it once exited (autoRemove); in the foreground the client does, after reading its output. */
  detach?: boolean;
  /** -i: stdin kept open (Kubernetes' stdin); attached (no -d), closed when the client's ends (stdinOnce). */
  interactive?: boolean;
  /** -t: a terminal (Kubernetes' tty). */
  tty?: boolean;
  env?: string[];
  /** The --env-file files, read by the client: their name (for errors) and text. */
  envFiles?: Array<{ file: string; text: string }>;
  publish?: string[];
  publishAll?: boolean;
  network?: string;
  /** --network-alias: other names on the network. */
  networkAlias?: string[];
  memory?: string;
  memorySwap?: string;
  cpus?: string;
  cpuShares?: string;
  workdir?: string;
  user?: string;
  entrypoint?: string;
  restart?: string;
  init?: boolean;
  hostname?: string;
  addHost?: string[];
  label?: string[];
  stopSignal?: string;
  stopTimeout?: string;
  pull?: string;
  healthCmd?: string;
  healthInterval?: string;
  healthTimeout?: string;
  healthRetries?: string;
  healthStartPeriod?: string;
}

/** What the daemon's POST /v1/containers takes. */
export interface DockerRunRequest {
  name?: string;
  labels?: Record<string, string>;
  spec: Record<string, unknown>;
  /** Volumes the client makes first (`--mount type=volume,…,volume-opt=…`, Docker's way); not sent with the container. */
  volumesToCreate?: MountSpec['create'];
}

/** Docker's "64m", "1g", "512k", "100" (bytes) → a Kubernetes quantity; Kubernetes' own ("64Mi") pass as they are. */
export function dockerMemory(v: string, flag = '--memory'): string {
  if (/^\d+(\.\d+)?(Ki|Mi|Gi|Ti|K|M|G|T)$/.test(v.trim())) return v.trim();
  const m = /^(\d+(?:\.\d+)?)([bkmg]?)b?$/i.exec(v.trim());
  if (!m) throw new InvalidArgumentError(`${flag} "${v}" is not a size (e.g. 64m, 1g, or 64Mi)`);
  const unit = m[2]!.toLowerCase();
  return unit === '' || unit === 'b' ? m[1]! : `${m[1]}${{ k: 'Ki', m: 'Mi', g: 'Gi' }[unit]}`;
}

/** `NAME=VALUE`, or `NAME` alone: the value of that variable in the client's environment (unset: left out, as Docker). */
function envPair(kv: string, where: string, hostEnv: Record<string, string | undefined>): { name: string; value: string } | undefined {
  const i = kv.indexOf('=');
  if (i === 0) throw new InvalidArgumentError(`${where}: "${kv}" has no variable name; write NAME=VALUE`);
  if (i > 0) return { name: kv.slice(0, i), value: kv.slice(i + 1) };
  if (/\s/.test(kv)) throw new InvalidArgumentError(`${where}: variable "${kv}" has white space in its name`);
  const v = hostEnv[kv];
  return v === undefined ? undefined : { name: kv, value: v };
}

/** Docker's --env-file format: NAME=VALUE per line (kept verbatim, no quotes removed), `#` comments, blank lines. */
export function parseEnvFile(file: string, text: string, hostEnv: Record<string, string | undefined>): Array<{ name: string; value: string }> {
  const out: Array<{ name: string; value: string }> = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const l = line.replace(/^\s+/, '');
    if (l === '' || l.startsWith('#')) return;
    const pair = envPair(l, `${file}:${i + 1}`, hostEnv);
    if (pair) out.push(pair);
  });
  return out;
}

function seconds(text: string, flag: string, min: number): number {
  const ns = /^\d+$/.test(text) ? Number(text) * 1e9 : (() => {
    try {
      return parseDurationNs(text);
    } catch {
      throw new InvalidArgumentError(`${flag} "${text}" is not a duration (e.g. 30s, 1m30s)`);
    }
  })();
  return Math.max(min, Math.ceil(ns / 1e9));
}

/** `--add-host host:ip` (or host=ip) lines, grouped by address as Kubernetes' hostAliases. */
function hostAliases(values: string[]): HostAlias[] {
  const byIp = new Map<string, string[]>();
  for (const v of values) {
    const i = v.search(/[:=]/);
    if (i <= 0 || i === v.length - 1) throw new InvalidArgumentError(`--add-host "${v}" is not HOST:IP (e.g. db.local:10.0.0.5)`);
    const ip = v.slice(i + 1).replace(/^\[|\]$/g, '');
    if (ip === 'host-gateway') throw new InvalidArgumentError(`--add-host "${v}": host-gateway is not supported; give the host's address on the container's network`);
    byIp.set(ip, [...(byIp.get(ip) ?? []), v.slice(0, i)]);
  }
  return [...byIp].map(([ip, hostnames]) => ({ ip, hostnames }));
}

function labels(values: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const i = v.indexOf('=');
    if (i === 0) throw new InvalidArgumentError(`--label "${v}" has no key; write KEY=VALUE`);
    out[i < 0 ? v : v.slice(0, i)] = i < 0 ? '' : v.slice(i + 1);
  }
  return out;
}

const PULL = { missing: 'IfNotPresent', always: 'Always', never: 'Never' } as const;

/** A Container object's parts from `run [OPTIONS] IMAGE [ARGS...]`, as Docker reads them. */
export function dockerRunRequest(image: string, args: string[], o: DockerRunOptions, hostEnv: Record<string, string | undefined> = {}): DockerRunRequest {
  const restart = parseDockerRestart(o.restart ?? 'no');
  if (o.rm && restart.dockerRestartPolicy.name !== 'no') throw new InvalidArgumentError('conflicting options: --restart and --rm (a container removed when it exits cannot be restarted)');
  const spec: Record<string, unknown> = { image, ...dockerCommand(o.entrypoint, args), ...restart };
  const env = [
    ...(o.envFiles ?? []).flatMap((f) => parseEnvFile(f.file, f.text, hostEnv)),
    ...(o.env ?? []).map((kv) => envPair(kv, `-e`, hostEnv)).filter((p) => p !== undefined),
  ];
  // A later setting of a name wins, as Docker's: keep the last of each.
  const last = new Map(env.map((e) => [e.name, e]));
  // Values verbatim too: Kubernetes expands $(VAR) in env values as in arguments.
  if (last.size) spec.env = [...last.values()].map((e) => ({ name: e.name, value: escapeVars([e.value])[0]! }));
  if (o.publish?.length) {
    // `-p PORT` and `-p IP::PORT` publish on a free host port (hostPort 0), as Docker's.
    spec.ports = o.publish.map((p) => {
      const m = parsePublish(p);
      return m.hostPort === undefined ? { ...m, hostPort: 0 } : m;
    });
  }
  if (o.publishAll) spec.publishAllPorts = true;
  if (o.network) spec.network = o.network;
  if (o.networkAlias?.length) spec.networkAliases = o.networkAlias;
  const mounts = mountSpec(o);
  if (mounts.volumes.length) {
    spec.volumes = mounts.volumes;
    spec.volumeMounts = mounts.volumeMounts;
  }
  if (mounts.anonymousVolumes.length) spec.anonymousVolumes = mounts.anonymousVolumes;
  if (mounts.volumesFrom.length) spec.volumesFrom = mounts.volumesFrom;
  const security = dockerSecurity(o);
  if (security.securityContext) spec.securityContext = security.securityContext;
  if (security.hostUsers === false) spec.hostUsers = false;
  const limits: Record<string, string | number> = {};
  if (o.memory) limits.memory = dockerMemory(o.memory);
  if (o.cpus) limits.cpu = o.cpus;
  if (security.pids !== undefined) limits.pids = security.pids;
  if (Object.keys(limits).length) spec.resources = { limits };
  if (o.memorySwap !== undefined) spec.memorySwap = o.memorySwap.trim() === '-1' ? -1 : dockerMemory(o.memorySwap, '--memory-swap');
  if (o.cpuShares !== undefined) {
    if (!/^\d+$/.test(o.cpuShares)) throw new InvalidArgumentError(`--cpu-shares "${o.cpuShares}" is not a whole number (a relative weight; the default is 1024)`);
    if (Number(o.cpuShares) > 0) spec.cpuShares = Math.min(262144, Math.max(2, Number(o.cpuShares)));
  }
  if (o.workdir) spec.workingDir = o.workdir;
  if (o.user) spec.user = o.user;
  if (o.hostname) spec.hostname = o.hostname;
  if (o.init) spec.init = true;
  if (o.tty) spec.tty = true;
  if (o.interactive) spec.stdin = true;
  if (o.interactive && !o.detach) spec.stdinOnce = true;
  // With -d, or attached to a terminal one may detach from, --rm is the daemon's once it has exited.
  if (o.rm && (o.detach || o.interactive || o.tty)) spec.autoRemove = true;
  if (o.addHost?.length) spec.hostAliases = hostAliases(o.addHost);
  if (o.stopSignal) spec.stopSignal = o.stopSignal;
  if (o.stopTimeout !== undefined) {
    if (!/^\d+$/.test(o.stopTimeout)) throw new InvalidArgumentError(`--stop-timeout "${o.stopTimeout}" must be a whole number of seconds`);
    spec.terminationGracePeriodSeconds = Number(o.stopTimeout);
  }
  if (o.pull !== undefined) {
    const policy = PULL[o.pull as keyof typeof PULL];
    if (!policy) throw new InvalidArgumentError(`--pull "${o.pull}" must be one of: always, missing, never`);
    spec.imagePullPolicy = policy;
  }
  if (o.healthCmd !== undefined) spec.readinessProbe = healthProbe(o);
  else if (o.healthInterval || o.healthTimeout || o.healthRetries || o.healthStartPeriod) {
    throw new InvalidArgumentError('--health-interval, --health-timeout, --health-retries and --health-start-period need --health-cmd');
  }
  return {
    ...(o.name ? { name: o.name } : {}),
    ...(o.label?.length ? { labels: labels(o.label) } : {}),
    spec,
    ...(mounts.create.length ? { volumesToCreate: mounts.create } : {}),
  };
}

/**
 * Docker's health check is a readiness probe: a shell command (Docker's CMD-SHELL) run every
 * interval, unhealthy after `retries` failures in a row; it never restarts the container.
 */
function healthProbe(o: DockerRunOptions): Record<string, unknown> {
  if (!o.healthCmd) throw new InvalidArgumentError('--health-cmd needs a command (e.g. --health-cmd "wget -q -O- localhost:80")');
  const retries = o.healthRetries ?? '3';
  if (!/^[1-9]\d*$/.test(retries)) throw new InvalidArgumentError(`--health-retries "${retries}" must be a whole number above 0`);
  return {
    exec: { command: ['/bin/sh', '-c', o.healthCmd] },
    periodSeconds: seconds(o.healthInterval ?? '30s', '--health-interval', 1),
    timeoutSeconds: seconds(o.healthTimeout ?? '30s', '--health-timeout', 1),
    failureThreshold: Number(retries),
    initialDelaySeconds: seconds(o.healthStartPeriod ?? '0s', '--health-start-period', 0),
  };
}
