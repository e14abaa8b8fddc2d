// The Docker-style verbs (run: run.ts, ps: ps.ts, inspect: inspect.ts): logs, wait, exec, stop,
// start, kill, rm, pause, unpause, stats, top, and `apply --wait`'s waiting. Thin: turn arguments into an API call, print.
import { InvalidArgumentError, NotFoundError } from '../../specs/errdefs.ts';
import { printLog } from '../print-log.ts';
import type { Resource } from '../../specs/objects.ts';
import type { ApiClient } from '../client.ts';
import { age, formatJson, formatTable, humanSize } from '../output.ts';
import type { ContainerStats, ContainerSummary, LogEntry, ProcessInfo, WaitResult } from '../../specs/api/containers.ts';
import { totalmem } from 'node:os';
import { renderFormat } from '../../specs/gotemplate/format.ts';
import { parseDurationNs } from '../../specs/duration.ts';

/** Docker's time arguments (--since, --until): RFC 3339 (or a date), a Unix time, or a Go duration before now. */
export function dockerTime(text: string, flag: string, now = Date.now()): number {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  if (/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(text)) return now - parseDurationNs(text) / 1e6;
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new InvalidArgumentError(`${flag} "${text}" is not a time: give 2026-01-02T15:04:05Z, a Unix time (1767366245), or a duration before now (10m)`);
  return t;
}

export async function logs(client: ApiClient, name: string, o: { follow?: boolean; tail?: string; timestamps?: boolean; since?: string; until?: string; details?: boolean }): Promise<number> {
  const since = o.since !== undefined ? dockerTime(o.since, '--since') : undefined;
  const until = o.until !== undefined ? dockerTime(o.until, '--until') : undefined;
  for await (const e of client.stream<LogEntry>('GET', `/v1/containers/${name}/logs`, { query: { follow: !!o.follow, ...(o.tail ? { tail: o.tail } : {}) } })) {
    const t = Date.parse(e.time);
    if (since !== undefined && t < since) continue;
    if (until !== undefined && t >= until) {
      if (o.follow) break;
      continue;
    }
    printLog(e, !!o.timestamps);
  }
  return 0;
}

/** Runs fn on each name; a failure is printed and the next name is tried, as Docker's verbs on several containers. */
export async function eachName(names: string[], fn: (name: string) => Promise<void>): Promise<number> {
  let failed = 0;
  for (const name of names) {
    try {
      await fn(name);
    } catch (err) {
      failed++;
      process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }
  return failed ? 1 : 0;
}

/** `wait`: each container's exit code once it has stopped, one per line. */
export async function wait(client: ApiClient, names: string[]): Promise<number> {
  return eachName(names, async (name) => {
    process.stdout.write(`${(await client.json<WaitResult>('GET', `/v1/containers/${encodeURIComponent(name)}/wait`)).exitCode ?? 0}\n`);
  });
}

/** `exec` without a terminal: one request, the output streamed (cli/exec-stream.ts), the process's exit code. */
export async function exec(client: ApiClient, name: string, args: string[], o: { env?: string[]; user?: string; workdir?: string }): Promise<number> {
  const res = await client.send('POST', `/v1/containers/${name}/exec`, {
    query: { stream: true },
    body: { args, ...(o.env?.length ? { env: o.env } : {}), ...(o.user ? { user: o.user } : {}), ...(o.workdir ? { cwd: o.workdir } : {}) },
  });
  return (await import('../exec-stream.ts')).readExecStream(res);
}

/** stop, start, pause, unpause, kill, rm on each name; prints each name done, like Docker. */
export async function lifecycle(client: ApiClient, verb: 'stop' | 'start' | 'pause' | 'unpause' | 'restart' | 'kill' | 'rm', names: string[], o: { force?: boolean; signal?: string; time?: string; volumes?: boolean } = {}): Promise<number> {
  return eachName(names, async (name) => {
    if (verb === 'rm') await client.json('DELETE', `/v1/containers/${name}`, { query: { force: !!o.force, volumes: !!o.volumes } });
    else await client.json('POST', `/v1/containers/${name}/${verb}`, { query: { ...(verb === 'kill' && o.signal ? { signal: o.signal } : {}), ...((verb === 'stop' || verb === 'restart') && o.time !== undefined ? { t: o.time } : {}) } });
    process.stdout.write(`${name}\n`);
  });
}

/** `rename OLD NEW`: prints nothing, as Docker. */
export async function rename(client: ApiClient, from: string, to: string): Promise<number> {
  await client.json('POST', `/v1/containers/${encodeURIComponent(from)}/rename`, { query: { name: to } });
  return 0;
}

/** go-units' BytesSize: binary units, four significant digits ("1.523MiB", "32MiB"), as docker stats prints memory. */
function bytesSize(n: number): string {
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) (n /= 1024), i++;
  return `${Number(n.toPrecision(4))}${u[i]}`;
}

const STATS_HEADERS = { ID: 'CONTAINER ID', Container: 'CONTAINER', Name: 'NAME', CPUPerc: 'CPU %', MemUsage: 'MEM USAGE / LIMIT', MemPerc: 'MEM %', NetIO: 'NET I/O', BlockIO: 'BLOCK I/O', PIDs: 'PIDS' };
const STATS_TABLE = 'table {{.ID}}\\t{{.Name}}\\t{{.CPUPerc}}\\t{{.MemUsage}}\\t{{.MemPerc}}\\t{{.NetIO}}\\t{{.BlockIO}}\\t{{.PIDs}}';

/** `stats` with Docker's columns and --format; CPU % from two reads (a second apart for --no-stream, as Docker's). */
export async function stats(client: ApiClient, names: string[], o: { noStream?: boolean; format?: string; noTrunc?: boolean; all?: boolean }): Promise<number> {
  const listed = names.length ? [] : (await client.json<{ items: ContainerSummary[] }>('GET', '/v1/containers', { query: { all: !!o.all } })).items.filter((s) => s.managed);
  const targets = names.length ? names : listed.map((s) => s.name);
  // -a: a stopped container has a row of zeros, as Docker's.
  const stopped = new Map(listed.filter((s) => s.phase !== 'Running' && s.phase !== 'Paused').map((s) => [s.name, s.id ?? '']));
  const prev = new Map<string, { cpu: number; at: number }>();
  const once = async () => {
    const rows = [];
    for (const n of targets) {
      const s = await client.json<ContainerStats & { name: string; id: string }>('GET', `/v1/containers/${n}/stats`).catch(() => undefined);
      if (!s) {
        const id = stopped.get(n);
        if (id !== undefined) rows.push({ ID: o.noTrunc ? id : id.slice(0, 12), Container: n, Name: n, CPUPerc: '0.00%', MemUsage: '0B / 0B', MemPerc: '0.00%', NetIO: '0B / 0B', BlockIO: '0B / 0B', PIDs: 0 });
        continue;
      }
      const at = Date.parse(s.readAt);
      const p = prev.get(n);
      const cpu = p && at > p.at ? ((s.cpuUsageSeconds - p.cpu) / ((at - p.at) / 1000)) * 100 : 0;
      prev.set(n, { cpu: s.cpuUsageSeconds, at });
      const limit = s.memoryLimitBytes || totalmem();
      const io = (s.cgroup?.io ?? []).reduce((t, d) => ({ r: t.r + d.readBytes, w: t.w + d.writeBytes }), { r: 0, w: 0 });
      rows.push({
        ID: o.noTrunc ? s.id : s.id.slice(0, 12), Container: n, Name: n,
        CPUPerc: `${cpu.toFixed(2)}%`,
        MemUsage: `${bytesSize(s.memoryWorkingSetBytes)} / ${bytesSize(limit)}`,
        MemPerc: `${((s.memoryWorkingSetBytes / limit) * 100).toFixed(2)}%`,
        NetIO: s.network ? `${humanSize(s.network.rxBytes)} / ${humanSize(s.network.txBytes)}` : '0B / 0B',
        BlockIO: `${humanSize(io.r)} / ${humanSize(io.w)}`,
        PIDs: s.pids,
      });
    }
    return renderFormat(o.format, rows, { headers: STATS_HEADERS, defaultTable: STATS_TABLE });
  };
  if (o.noStream) {
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

/** `commit`: prints the new image's id, as Docker's. */
export async function commit(client: ApiClient, name: string, reference: string | undefined, o: { author?: string; change: string[]; message?: string; pause: string | boolean }): Promise<number> {
  const pause = o.pause === true || o.pause === 'true' ? true : o.pause === 'false' ? false : undefined;
  if (pause === undefined) throw new InvalidArgumentError(`--pause "${String(o.pause)}" must be true or false`);
  const body = { ...(reference ? { reference } : {}), ...(o.author ? { author: o.author } : {}), ...(o.message ? { message: o.message } : {}), changes: o.change, pause };
  process.stdout.write(`${(await client.json<{ id: string }>('POST', `/v1/containers/${encodeURIComponent(name)}/commit`, { body })).id}\n`);
  return 0;
}

export async function top(client: ApiClient, name: string): Promise<number> {
  const { processes } = await client.json<{ processes: ProcessInfo[] }>('GET', `/v1/containers/${name}/top`);
  const t = (s: number) => `${String(Math.floor(s / 3600)).padStart(2, '0')}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(Math.floor(s) % 60).padStart(2, '0')}`;
  // `ps -ef`'s columns, as docker top shows them: C is the CPU use over the process's life (%),
  // STIME its start (HH:MM today, else "Mon DD").
  const now = Date.now();
  const c = (p: ProcessInfo) => (p.startedAt ? Math.floor((p.cpuSeconds * 100000) / Math.max(1, now - Date.parse(p.startedAt))) : 0);
  const stime = (p: ProcessInfo) => {
    if (!p.startedAt) return '-';
    const d = new Date(p.startedAt);
    return now - d.getTime() < 86_400_000 ? `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}` : d.toLocaleString('en-US', { month: 'short', day: '2-digit' }).replace(' ', '');
  };
  process.stdout.write(formatTable(['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'], processes.map((p) => [p.user, p.pid, p.ppid, c(p), stime(p), p.tty ?? '?', t(p.cpuSeconds), p.cmd])));
  return 0;
}

/** `apply --wait`: until every object is Ready (or Failed); non-zero on Failed or timeout. */
/** Whether an object is Ready as its kind says it: a Ready condition, a Deployment's replicas all ready and updated, an active Service, data. */
function readyOf(kind: string, o: Resource | undefined, st: { phase?: string; conditions?: Array<{ type: string; status: string }> } & Record<string, unknown>): boolean {
  if (kind === 'ConfigMap' || kind === 'Secret') return !!o;
  if (kind === 'Service') return st.phase === 'Active';
  if (kind === 'Deployment') {
    const replicas = (o?.spec as { replicas?: number } | undefined)?.replicas;
    return st.readyReplicas === replicas && st.updatedReplicas === replicas && st.replicas === replicas;
  }
  return st.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
}

export async function waitReady(client: ApiClient, refs: Array<{ kind: string; name: string }>, timeoutSeconds: number): Promise<number> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  const pending = new Map(refs.map((r) => [`${r.kind}/${r.name}`, r]));
  const failed: string[] = [];
  while (pending.size && Date.now() < deadline) {
    for (const [key, r] of pending) {
      const o = await client.json<Resource>('GET', `/v1/objects/${r.kind}/${r.name}`).catch(() => undefined);
      const st = (o?.status ?? {}) as { phase?: string; observedGeneration?: number; conditions?: Array<{ type: string; status: string }>; reason?: string; message?: string };
      // ConfigMaps and Secrets are data: nothing runs for them, there is nothing to wait for.
      const current = o && (st.observedGeneration === o.metadata.generation || r.kind === 'ConfigMap' || r.kind === 'Secret');
      const ready = readyOf(r.kind, o, st);
      const completed = (r.kind === 'Container' && st.phase === 'Exited' && (o?.spec as { restartPolicy?: string }).restartPolicy !== 'Always') || (r.kind === 'Pod' && st.phase === 'Succeeded');
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
