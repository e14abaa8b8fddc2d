// The Docker-style verbs: run, ps, logs, exec, stop, start, kill, rm, pause, unpause, inspect,
// stats, top, and `apply --wait`'s waiting. Thin: turn arguments into an API call, print.
import { resolve } from 'node:path';
import { parsePublish } from '../../specs/ports.ts';
import { mountSpec, type MountSpec } from '../../specs/mounts.ts';
import { InvalidArgumentError, NotFoundError, UnavailableError } from '../../specs/errdefs.ts';
import type { Resource } from '../../specs/schema.ts';
import type { ApiClient } from '../client.ts';
import { age, formatJson, formatTable } from '../output.ts';
import type { ContainerSummary, LogEntry, ProcessInfo, Stats } from '../../specs/api/containers.ts';

export interface RunOptions {
  name?: string;
  detach?: boolean;
  rm?: boolean;
  env?: string[];
  publish?: string[];
  network?: string;
  volume?: string[];
  mount?: string[];
  tmpfs?: string[];
  volumesFrom?: string[];
  memory?: string;
  cpus?: string;
  workdir?: string;
  user?: string;
  entrypoint?: string;
  restart?: string;
  capAdd?: string[];
  capDrop?: string[];
  privileged?: boolean;
  securityOpt?: string[];
  readOnly?: boolean;
  sysctl?: string[];
  pidsLimit?: string;
  userns?: string;
}

/** Docker's security flags as a Kubernetes securityContext (and hostUsers), validated by the daemon. */
export function securitySpec(o: RunOptions): { securityContext?: Record<string, unknown>; hostUsers?: boolean } {
  const sc: Record<string, unknown> = {};
  if (o.capAdd?.length || o.capDrop?.length) sc.capabilities = { ...(o.capAdd?.length ? { add: o.capAdd } : {}), ...(o.capDrop?.length ? { drop: o.capDrop } : {}) };
  if (o.privileged) sc.privileged = true;
  if (o.readOnly) sc.readOnlyRootFilesystem = true;
  for (const opt of o.securityOpt ?? []) {
    // Docker takes "key=value" and, of old, "key:value".
    const m = /^([a-z-]+)(?:[=:](.*))?$/.exec(opt);
    const [key, value] = [m?.[1], m?.[2]];
    if (key === 'seccomp' && value) {
      sc.seccompProfile = value === 'unconfined' ? { type: 'Unconfined' } : value === 'default' || value === 'builtin' ? { type: 'RuntimeDefault' } : { type: 'Localhost', localhostProfile: resolve(value) };
    } else if (key === 'no-new-privileges' && (value === undefined || value === 'true' || value === 'false')) {
      sc.allowPrivilegeEscalation = value === 'false';
    } else {
      throw new InvalidArgumentError(`--security-opt "${opt}": berth takes seccomp=unconfined, seccomp=PROFILE.json and no-new-privileges[=true|false]`);
    }
  }
  if (o.sysctl?.length) {
    sc.sysctls = o.sysctl.map((kv) => {
      const i = kv.indexOf('=');
      if (i <= 0) throw new InvalidArgumentError(`--sysctl "${kv}": give NAME=VALUE (e.g. net.ipv4.ip_unprivileged_port_start=80)`);
      return { name: kv.slice(0, i), value: kv.slice(i + 1) };
    });
  }
  if (o.userns !== undefined && o.userns !== 'auto' && o.userns !== 'host') throw new InvalidArgumentError(`--userns "${o.userns}": auto or host`);
  return { ...(Object.keys(sc).length ? { securityContext: sc } : {}), ...(o.userns === 'auto' ? { hostUsers: false } : {}) };
}

/** Docker's "64m", "1g", "512k", "100" (bytes) → a Kubernetes quantity; Kubernetes' own ("64Mi") pass as they are. */
export function dockerMemory(v: string): string {
  if (/^\d+(\.\d+)?(Ki|Mi|Gi|Ti|K|M|G|T)$/.test(v.trim())) return v.trim();
  const m = /^(\d+(?:\.\d+)?)([bkmg]?)b?$/i.exec(v.trim());
  if (!m) throw new InvalidArgumentError(`--memory "${v}" is not a size (e.g. 64m, 1g, or 64Mi)`);
  const unit = m[2]!.toLowerCase();
  return unit === '' || unit === 'b' ? m[1]! : `${m[1]}${{ k: 'Ki', m: 'Mi', g: 'Gi' }[unit]}`;
}

/** A Container spec from `run` arguments, as Docker reads them. */
export function runSpec(image: string, cmd: string[], o: RunOptions, mounts: MountSpec = mountSpec(o)): Record<string, unknown> {
  const spec: Record<string, unknown> = { image, restartPolicy: o.restart ?? 'Never' };
  if (o.entrypoint !== undefined) {
    spec.command = [o.entrypoint];
    if (cmd.length) spec.args = cmd;
  } else if (cmd.length) {
    spec.command = cmd; // docker run IMAGE CMD keeps the image's entrypoint only when it has one; busybox-style images have none
  }
  if (o.env?.length) {
    spec.env = o.env.map((kv) => {
      const i = kv.indexOf('=');
      if (i <= 0) {
        const fromHost = process.env[kv];
        if (fromHost === undefined) throw new InvalidArgumentError(`-e "${kv}": give NAME=VALUE, or the name of a variable set in this shell`);
        return { name: kv, value: fromHost };
      }
      return { name: kv.slice(0, i), value: kv.slice(i + 1) };
    });
  }
  if (o.publish?.length) spec.ports = o.publish.map(parsePublish);
  if (o.network) spec.network = o.network;
  if (mounts.volumes.length) {
    spec.volumes = mounts.volumes;
    spec.volumeMounts = mounts.volumeMounts;
  }
  if (mounts.anonymousVolumes.length) spec.anonymousVolumes = mounts.anonymousVolumes;
  if (mounts.volumesFrom.length) spec.volumesFrom = mounts.volumesFrom;
  const limits: Record<string, string | number> = {};
  if (o.memory) limits.memory = dockerMemory(o.memory);
  if (o.cpus) limits.cpu = o.cpus;
  if (o.pidsLimit !== undefined) {
    // Docker: 0 or -1 is unlimited.
    if (!/^-?\d+$/.test(o.pidsLimit)) throw new InvalidArgumentError(`--pids-limit "${o.pidsLimit}" is not a number (-1: unlimited)`);
    limits.pids = Number(o.pidsLimit) <= 0 ? -1 : Number(o.pidsLimit);
  }
  if (Object.keys(limits).length) spec.resources = { limits };
  if (o.workdir) spec.workingDir = o.workdir;
  if (o.user) spec.user = o.user;
  return { ...spec, ...securitySpec(o) };
}

function printLog(e: LogEntry, timestamps: boolean): void {
  const out = e.stream === 'stderr' ? process.stderr : process.stdout;
  out.write(timestamps ? `${e.time} ${e.log}` : e.log);
}

export async function run(client: ApiClient, image: string, cmd: string[], o: RunOptions): Promise<number> {
  if (o.rm && o.detach) throw new InvalidArgumentError('--rm and -d cannot be used together (a detached container is removed with `berth rm`)');
  const mounts = mountSpec(o);
  const spec = runSpec(image, cmd, o, mounts);
  // `--mount type=volume,…,volume-opt=…`: the volume is made with those options first (Docker's way).
  for (const v of mounts.create) await client.json('POST', '/v1/volumes', { body: v });
  const { name } = await client.json<{ name: string }>('POST', '/v1/containers', { body: { ...(o.name ? { name: o.name } : {}), spec } });
  const ac = new AbortController();
  const onSignal = () => void client.json('POST', `/v1/containers/${name}/stop`).catch(() => undefined);
  try {
    if (o.detach) {
      const c = await waitStarted(client, name);
      process.stdout.write(`${c.id}\n`);
      return 0;
    }
    process.on('SIGINT', onSignal);
    await waitStarted(client, name);
    for await (const e of client.stream<LogEntry>('GET', `/v1/containers/${name}/logs`, { query: { follow: true }, signal: ac.signal })) printLog(e, false);
    const res = await client.json<{ exitCode: number; phase: string }>('GET', `/v1/containers/${name}/wait`);
    return res.exitCode;
  } finally {
    process.off('SIGINT', onSignal);
    // --rm takes the container's anonymous volumes with it, as Docker's does.
    if (o.rm) await client.json('DELETE', `/v1/containers/${name}`, { query: { force: true, volumes: true } }).catch(() => undefined);
  }
}

/** Waits until the container has a process (or ended / failed before getting one): the daemon answers when it has. */
async function waitStarted(client: ApiClient, name: string): Promise<{ id: string }> {
  const r = await client.json<{ phase: string; id?: string }>('GET', `/v1/containers/${name}/wait`, { query: { condition: 'started' } });
  if (r.phase === 'Failed' || r.phase === 'Removed' || !r.id) {
    const c = await client.json<Resource & { summary: ContainerSummary }>('GET', `/v1/containers/${name}`).catch(() => undefined);
    const st = (c?.status ?? {}) as { reason?: string; message?: string };
    throw new UnavailableError(`container "${name}" failed to start: ${st.message ?? st.reason ?? `see \`berth describe container ${name}\``}`);
  }
  return { id: r.id };
}

function statusText(s: ContainerSummary): string {
  if (!s.managed) return `${s.phase} (not created by berth)`;
  if (s.phase === 'Running') return `Up ${age(s.startedAt)}${s.restartCount ? ` (restarts: ${s.restartCount})` : ''}`;
  if (s.phase === 'Paused') return `Up ${age(s.startedAt)} (Paused)`;
  if (s.exitCode !== undefined) return `Exited (${s.exitCode}) ${age(s.finishedAt)} ago`;
  return s.phase;
}

export async function ps(client: ApiClient, o: { all?: boolean; quiet?: boolean; output?: string }): Promise<number> {
  const { items } = await client.json<{ items: ContainerSummary[] }>('GET', '/v1/containers', { query: { all: !!o.all } });
  if (o.output === 'json') return void process.stdout.write(formatJson(items)), 0;
  if (o.quiet) {
    for (const s of items) process.stdout.write(`${s.managed ? s.name : s.id}\n`);
    return 0;
  }
  process.stdout.write(
    formatTable(
      ['CONTAINER ID', 'NAME', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS'],
      items.map((s) => [s.id?.slice(0, 12) ?? '-', s.name || '-', s.image || '-', s.command.length ? JSON.stringify(s.command.join(' ')) : '-', `${age(s.created)} ago`, statusText(s), s.ports.join(', ') || '-']),
    ),
  );
  return 0;
}

export async function logs(client: ApiClient, name: string, o: { follow?: boolean; tail?: string; timestamps?: boolean }): Promise<number> {
  for await (const e of client.stream<LogEntry>('GET', `/v1/containers/${name}/logs`, { query: { follow: !!o.follow, ...(o.tail ? { tail: o.tail } : {}) } })) {
    printLog(e, !!o.timestamps);
  }
  return 0;
}

export async function exec(client: ApiClient, name: string, args: string[], o: { env?: string[]; user?: string; workdir?: string }): Promise<number> {
  const res = await client.json<{ exitCode: number; stdout: string; stderr: string }>('POST', `/v1/containers/${name}/exec`, {
    body: { args, ...(o.env?.length ? { env: o.env } : {}), ...(o.user ? { user: o.user } : {}), ...(o.workdir ? { cwd: o.workdir } : {}) },
  });
  process.stdout.write(Buffer.from(res.stdout, 'base64'));
  process.stderr.write(Buffer.from(res.stderr, 'base64'));
  return res.exitCode;
}

/** stop, start, pause, unpause, kill, rm on each name; prints each name done, like Docker. */
export async function lifecycle(client: ApiClient, verb: 'stop' | 'start' | 'pause' | 'unpause' | 'kill' | 'rm', names: string[], o: { force?: boolean; signal?: string; volumes?: boolean } = {}): Promise<number> {
  let failed = 0;
  for (const name of names) {
    try {
      if (verb === 'rm') await client.json('DELETE', `/v1/containers/${name}`, { query: { force: !!o.force, volumes: !!o.volumes } });
      else await client.json('POST', `/v1/containers/${name}/${verb}`, { query: verb === 'kill' && o.signal ? { signal: o.signal } : {} });
      process.stdout.write(`${name}\n`);
    } catch (err) {
      failed++;
      process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }
  return failed ? 1 : 0;
}

export async function inspect(client: ApiClient, names: string[]): Promise<number> {
  const out = [];
  for (const n of names) {
    // A container by that name, else an image (as `docker inspect` looks in both).
    try {
      out.push(await client.json('GET', `/v1/containers/${encodeURIComponent(n)}`));
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      try {
        out.push(await client.json('GET', '/v1/images/inspect', { query: { ref: n } }));
      } catch (imageErr) {
        if (imageErr instanceof NotFoundError || imageErr instanceof InvalidArgumentError) throw new NotFoundError(`no container or image named "${n}"`);
        throw imageErr;
      }
    }
  }
  process.stdout.write(formatJson(out));
  return 0;
}

function bytes(n: number): string {
  const u = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) (n /= 1024), i++;
  return `${n.toFixed(i ? 1 : 0)}${u[i]}`;
}

export async function stats(client: ApiClient, names: string[], o: { noStream?: boolean }): Promise<number> {
  const targets = names.length ? names : (await client.json<{ items: ContainerSummary[] }>('GET', '/v1/containers')).items.filter((s) => s.managed).map((s) => s.name);
  const prev = new Map<string, { cpu: number; at: number }>();
  const once = async () => {
    const rows = [];
    for (const n of targets) {
      const s = await client.json<Stats & { name: string; id: string }>('GET', `/v1/containers/${n}/stats`).catch(() => undefined);
      if (!s) continue;
      const at = Date.parse(s.readAt);
      const p = prev.get(n);
      const cpu = p && at > p.at ? ((s.cpuUsageSeconds - p.cpu) / ((at - p.at) / 1000)) * 100 : undefined;
      prev.set(n, { cpu: s.cpuUsageSeconds, at });
      rows.push([s.id.slice(0, 12), n, cpu === undefined ? '--' : `${cpu.toFixed(2)}%`, `${bytes(s.memoryUsageBytes)} / ${s.memoryLimitBytes ? bytes(s.memoryLimitBytes) : 'unlimited'}`, s.pids]);
    }
    return formatTable(['CONTAINER ID', 'NAME', 'CPU %', 'MEM USAGE / LIMIT', 'PIDS'], rows);
  };
  if (o.noStream) {
    // Two reads a second apart, so that CPU % means something (as docker stats --no-stream does).
    await once();
    await new Promise((r) => setTimeout(r, 1000));
    process.stdout.write(await once());
    return 0;
  }
  for (;;) {
    const table = await once();
    process.stdout.write(`\x1b[2J\x1b[H${table}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

export async function top(client: ApiClient, name: string): Promise<number> {
  const { processes } = await client.json<{ processes: ProcessInfo[] }>('GET', `/v1/containers/${name}/top`);
  const t = (s: number) => `${String(Math.floor(s / 3600)).padStart(2, '0')}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(Math.floor(s) % 60).padStart(2, '0')}`;
  process.stdout.write(formatTable(['UID', 'PID', 'PPID', 'TIME', 'CMD'], processes.map((p) => [p.user, p.pid, p.ppid, t(p.cpuSeconds), p.cmd])));
  return 0;
}

/** `apply --wait`: until every object is Ready (or Failed); non-zero on Failed or timeout. */
export async function waitReady(client: ApiClient, refs: Array<{ kind: string; name: string }>, timeoutSeconds: number): Promise<number> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  const pending = new Map(refs.map((r) => [`${r.kind}/${r.name}`, r]));
  const failed: string[] = [];
  while (pending.size && Date.now() < deadline) {
    for (const [key, r] of pending) {
      const o = await client.json<Resource>('GET', `/v1/objects/${r.kind}/${r.name}`).catch(() => undefined);
      const st = (o?.status ?? {}) as { phase?: string; observedGeneration?: number; conditions?: Array<{ type: string; status: string }>; reason?: string; message?: string };
      const current = o && st.observedGeneration === o.metadata.generation;
      const ready = st.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
      const completed = r.kind === 'Container' && st.phase === 'Exited' && (o?.spec as { restartPolicy?: string }).restartPolicy !== 'Always';
      if (current && (ready || completed)) {
        pending.delete(key);
        process.stdout.write(`${key.toLowerCase()} ${ready ? 'ready' : 'completed'}\n`);
      } else if (current && (st.phase === 'Failed' || ['ErrImageNeverPull', 'ImagePullBackOff', 'CrashLoopBackOff'].includes(st.reason ?? ''))) {
        pending.delete(key);
        failed.push(key);
        process.stderr.write(`error: ${key.toLowerCase()} ${st.reason ?? st.phase}: ${st.message ?? ''}\n`);
      }
    }
    if (pending.size) await new Promise((r) => setTimeout(r, 100));
  }
  for (const key of pending.keys()) process.stderr.write(`error: timed out after ${timeoutSeconds}s waiting for ${key.toLowerCase()}\n`);
  return failed.length || pending.size ? 1 : 0;
}
