// Per-container series, read at scrape time from the samples the container controller gives:
// cAdvisor's names, help texts, types and labels (so its Grafana dashboards and alert rules work
// unchanged), and kube-state-metrics-style lifecycle state and restarts under berth_.
//
// Labels as cAdvisor's defaults plus the kubelet's `container`: `id` is the cgroup ("/berth/<id>"),
// `name` and `container` the Container object's name, `image` its image, and each of the object's
// labels as `container_label_<key>`; a series' own labels (`cpu`, `device`, `interface`) join them,
// sorted as cAdvisor prints them. Like cAdvisor, a container is reported while its cgroup can be read.
import type { CgroupStats, ContainerPhase, ContainerStats } from '../specs/api/containers.ts';
import { POD_LABEL } from '../specs/pod.ts';
import { byCodeUnit } from '../specs/order.ts';

export interface ContainerSample {
  name: string;
  image: string;
  /** The engine's container id. */
  id: string;
  phase: ContainerPhase;
  restartCount: number;
  /** Unix seconds. */
  startTime?: number;
  /** The Container object's metadata.labels. */
  labels?: Record<string, string>;
  /** Present while the container runs (or is paused). */
  stats?: ContainerStats;
}

export const PHASES: readonly ContainerPhase[] = [
  'Pending', 'WaitingForImage', 'Creating', 'Running', 'Paused', 'Exited', 'BackOff', 'Restarting', 'Stopping', 'Removing', 'Failed',
];

type Labels = Record<string, string>;
type Point = { labels?: Labels; value: number };
type Measured = ContainerSample & { stats: ContainerStats };
/** A number for one series without labels of its own, points for several, undefined for none. */
type Read = (s: Measured) => number | Point[] | undefined;

const cg = (s: Measured) => s.stats.cgroup;
/** cAdvisor reports CFS statistics and the quota only for containers that have a quota. */
const quota = (s: Measured) => (cg(s)?.spec.cpuQuotaUs ? cg(s) : undefined);
const fs = (value: (f: NonNullable<ContainerStats['filesystem']>) => number) => (s: Measured) => {
  const f = s.stats.filesystem;
  return f && [{ labels: { device: f.device }, value: value(f) }];
};
const io = (value: (r: CgroupStats['io'][number]) => number) => (s: Measured) =>
  cg(s)?.io.map((r) => ({ labels: { device: r.device }, value: value(r) }));
/** Per interface, as cAdvisor labels them; a source that gives only totals counts them as eth0. */
const net = (bytes: (i: { rxBytes: number; txBytes: number }) => number) => (s: Measured) => {
  const n = s.stats.network;
  return n && (n.interfaces ?? [{ interface: 'eth0', ...n }]).map((i) => ({ labels: { interface: i.interface }, value: bytes(i) }));
};

/**
 * [name, type, help (cAdvisor's), value]. Left out of cAdvisor's set: container_fs_inodes_total and
 * container_memory_failcnt, which `promtool check metrics` rejects (a gauge named _total, a counter
 * not), and what berth has no source for (per-CPU usage, schedstat, perf events, hugetlb).
 */
const SERIES: Array<[string, 'counter' | 'gauge', string, Read]> = [
  ['container_last_seen', 'gauge', 'Last time a container was seen by the exporter', (s) => Math.floor(Date.parse(s.stats.readAt) / 1000)],
  ['container_start_time_seconds', 'gauge', 'Start time of the container since unix epoch in seconds.', (s) => s.startTime],
  ['container_cpu_usage_seconds_total', 'counter', 'Cumulative cpu time consumed in seconds.', (s) => [{ labels: { cpu: 'total' }, value: s.stats.cpuUsageSeconds }]],
  ['container_cpu_user_seconds_total', 'counter', 'Cumulative user cpu time consumed in seconds.', (s) => cg(s)?.cpu.userSeconds],
  ['container_cpu_system_seconds_total', 'counter', 'Cumulative system cpu time consumed in seconds.', (s) => cg(s)?.cpu.systemSeconds],
  ['container_cpu_cfs_periods_total', 'counter', 'Number of elapsed enforcement period intervals.', (s) => quota(s)?.cpu.periods],
  ['container_cpu_cfs_throttled_periods_total', 'counter', 'Number of throttled period intervals.', (s) => quota(s)?.cpu.throttledPeriods],
  ['container_cpu_cfs_throttled_seconds_total', 'counter', 'Total time duration the container has been throttled.', (s) => quota(s)?.cpu.throttledSeconds],
  ['container_spec_cpu_period', 'gauge', 'CPU period of the container.', (s) => cg(s)?.spec.cpuPeriodUs],
  ['container_spec_cpu_quota', 'gauge', 'CPU quota of the container.', (s) => quota(s)?.spec.cpuQuotaUs],
  ['container_spec_cpu_shares', 'gauge', 'CPU share of the container.', (s) => cg(s)?.spec.cpuShares],
  ['container_spec_memory_limit_bytes', 'gauge', 'Memory limit for the container.', (s) => s.stats.memoryLimitBytes],
  ['container_memory_usage_bytes', 'gauge', 'Current memory usage in bytes, including all memory regardless of when it was accessed', (s) => s.stats.memoryUsageBytes],
  ['container_memory_working_set_bytes', 'gauge', 'Current working set in bytes.', (s) => s.stats.memoryWorkingSetBytes],
  ['container_memory_rss', 'gauge', 'Size of RSS in bytes.', (s) => cg(s)?.memory.rssBytes],
  ['container_memory_cache', 'gauge', 'Number of bytes of page cache memory.', (s) => cg(s)?.memory.cacheBytes],
  ['container_memory_mapped_file', 'gauge', 'Size of memory mapped files in bytes.', (s) => cg(s)?.memory.mappedFileBytes],
  ['container_memory_swap', 'gauge', 'Container swap usage in bytes.', (s) => cg(s)?.memory.swapBytes],
  ['container_oom_events_total', 'counter', 'Count of out of memory events observed for the container', (s) => cg(s)?.memory.oomKills],
  ['container_processes', 'gauge', 'Number of processes running inside the container.', (s) => cg(s)?.processes],
  ['container_threads', 'gauge', 'Number of threads running inside the container', (s) => s.stats.pids],
  ['container_fs_usage_bytes', 'gauge', 'Number of bytes that are consumed by the container on this filesystem.', fs((f) => f.usageBytes)],
  ['container_fs_limit_bytes', 'gauge', 'Number of bytes that can be consumed by the container on this filesystem.', fs((f) => f.limitBytes)],
  ['container_fs_inodes_free', 'gauge', 'Number of available Inodes', fs((f) => f.inodesFree)],
  ['container_fs_reads_bytes_total', 'counter', 'Cumulative count of bytes read', io((r) => r.readBytes)],
  ['container_fs_writes_bytes_total', 'counter', 'Cumulative count of bytes written', io((r) => r.writeBytes)],
  ['container_fs_reads_total', 'counter', 'Cumulative count of reads completed', io((r) => r.reads)],
  ['container_fs_writes_total', 'counter', 'Cumulative count of writes completed', io((r) => r.writes)],
  ['container_network_receive_bytes_total', 'counter', 'Cumulative count of bytes received', net((i) => i.rxBytes)],
  ['container_network_transmit_bytes_total', 'counter', 'Cumulative count of bytes transmitted', net((i) => i.txBytes)],
];

/** The labels every series of the container carries. */
export function containerLabels(s: ContainerSample): Labels {
  const l: Labels = { container: s.name, id: s.stats?.cgroup?.path ?? s.id, image: s.image, name: s.name };
  // A Pod's member: the Pod's name, as cAdvisor labels the containers of a Kubernetes pod.
  const pod = s.labels?.[POD_LABEL];
  if (pod) l.pod = pod;
  for (const [k, v] of Object.entries(s.labels ?? {})) if (v !== '') l[`container_label_${k.replace(/[^a-zA-Z0-9_]/g, '_')}`] = v;
  return l;
}

const byName = ([a]: [string, string], [b]: [string, string]) => byCodeUnit(a, b);

/** A label value as the exposition format writes it (prom-client's escaping). */
const escape = (v: string) => (/[\\\n"]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"') : v);
/** A sample value as prom-client writes it. */
const valueText = (v: number) => (Number.isNaN(v) ? 'Nan' : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : `${v}`);
/** Each label as [name, its text `name="value"`], sorted by name as cAdvisor prints them. */
const labelPairs = (l: Labels): Array<[string, string]> => Object.entries(l).sort(byName).map(([k, v]) => [k, `${k}="${escape(v)}"`]);
const labelText = (pairs: Array<[string, string]>) => pairs.map(([, t]) => t).join(',');

/** One container's kept lines of each family, and their size in bytes. */
interface Kept {
  families: string[];
  size: number;
}

function kept(families: string[]): Kept {
  let size = 0;
  for (const t of families) size += Buffer.byteLength(t);
  return { families, size };
}

/** What a container's measured lines hold besides its stats: a rename or a label change makes them again. */
function sameSource(a: ContainerSample, b: ContainerSample): boolean {
  if (a.name !== b.name || a.image !== b.image || a.id !== b.id || a.startTime !== b.startTime) return false;
  const la = a.labels ?? {};
  const lb = b.labels ?? {};
  let n = 0;
  for (const k in la) {
    if (la[k] !== lb[k]) return false;
    n++;
  }
  for (const _ in lb) n--;
  return n === 0;
}

const sameElements = <T>(a: T[], b: T[]) => a.length === b.length && a.every((x, i) => x === b[i]);

const header = (name: string, help: string, type: string) => `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`;
/** Each family's header, cAdvisor's series then the lifecycle ones. */
const HEADERS = [
  ...SERIES.map(([name, type, help]) => header(name, help, type)),
  header('berth_container_restarts_total', 'Number of restarts of the container (kube_pod_container_status_restarts_total)', 'counter'),
  header('berth_container_state', 'The lifecycle state of the container: 1 for the current state, 0 for the others', 'gauge'),
];
const HEADERS_SIZE = HEADERS.reduce((n, h) => n + Buffer.byteLength(h), 0);
const NEWLINE = 10;

/**
 * The per-container series as exposition bytes. A container's lines are made once per collection
 * of its stats (stats-housekeeping.ts gives a new stats object each time) and kept with that
 * object, its lifecycle lines while its phase and restarts stay; a scrape writes the kept lines
 * of each family into one buffer, and the next scrape sends that buffer again while every
 * container's kept lines are the same (no collection, transition or label change in between).
 * Why one buffer, written line group by line group: at 500 containers, joining the ~15,000 kept
 * strings made 2.4 MB strings several times over (the joins, the concatenation, flattening,
 * UTF-8 encoding for the socket), and V8's collector took 40 % of the scrape's CPU; Buffer#write
 * copies a kept string into place without making anything.
 */
export class ContainerSeries {
  readonly #lines = new WeakMap<ContainerStats, Kept & { of: ContainerSample }>();
  /** Each measured container's label texts, by name. */
  readonly #labels = new Map<string, LabelTexts>();
  /** Each container's lifecycle lines (restarts, state), by name. */
  readonly #lifecycle = new Map<string, Kept & { phase: ContainerPhase; restarts: number }>();
  /** The last bytes made, and the kept lines they were made of. */
  #last: { from: Kept[]; bytes: Buffer } | undefined;

  /**
   * The families, a blank line between two; ends with the last family's last line (as
   * prom-client's text ends, so that the two join with one blank line).
   */
  bytes(samples: ContainerSample[]): Buffer {
    const measured = this.#measured(samples);
    const lifecycle = this.#lifecycleLines(samples);
    const from = [...measured, ...lifecycle];
    if (this.#last && sameElements(this.#last.from, from)) return this.#last.bytes;
    let size = HEADERS_SIZE + HEADERS.length - 1;
    for (const k of from) size += k.size;
    const out = Buffer.allocUnsafe(size);
    let at = 0;
    HEADERS.forEach((h, i) => {
      if (i > 0) out[at++] = NEWLINE;
      at += out.write(h, at);
      const [kept, family] = i < SERIES.length ? [measured, i] : [lifecycle, i - SERIES.length];
      for (const k of kept) at += out.write(k.families[family]!, at);
    });
    this.#last = { from, bytes: out };
    return out;
  }

  /** kube-state-metrics-style lifecycle series: restarts, and the state (1 for the current, 0 for the others). */
  #lifecycleLines(samples: ContainerSample[]): Kept[] {
    const out: Kept[] = [];
    const seen = new Set<string>();
    for (const s of samples) {
      seen.add(s.name);
      let k = this.#lifecycle.get(s.name);
      if (k?.phase !== s.phase || k.restarts !== s.restartCount) {
        const name = escape(s.name);
        k = {
          phase: s.phase,
          restarts: s.restartCount,
          ...kept([
            `berth_container_restarts_total{name="${name}"} ${s.restartCount}\n`,
            PHASES.map((p) => `berth_container_state{name="${name}",state="${p}"} ${p === s.phase ? 1 : 0}\n`).join(''),
          ]),
        };
        this.#lifecycle.set(s.name, k);
      }
      out.push(k);
    }
    for (const name of this.#lifecycle.keys()) if (!seen.has(name)) this.#lifecycle.delete(name);
    return out;
  }

  #measured(samples: ContainerSample[]): Kept[] {
    const out: Kept[] = [];
    const seen = new Set<string>();
    for (const s of samples) {
      if (!s.stats) continue;
      seen.add(s.name);
      out.push(this.#keptOf(s as Measured));
    }
    for (const name of this.#labels.keys()) if (!seen.has(name)) this.#labels.delete(name);
    return out;
  }

  /**
   * Makes and keeps the lines of a container's stats just collected (stats-housekeeping.ts calls
   * this for each container of a round, as it reads them), so that the scrape after the round
   * finds them made instead of making those of every container at once: 35-85 ms of the
   * daemon's thread at 500 containers on this host, on the path of each Prometheus scrape (one
   * every 15 s by default, a round every 10 s, so nearly every scrape came after a new round).
   */
  prepare(s: ContainerSample): void {
    if (s.stats) this.#keptOf(s as Measured);
  }

  /** The container's kept lines of its stats: made once per stats object, again after a rename or a label change. */
  #keptOf(s: Measured): Kept {
    let k = this.#lines.get(s.stats);
    if (!k || !sameSource(k.of, s)) this.#lines.set(s.stats, (k = { of: s, ...kept(linesOf(s, this.#labelsOf(s))) }));
    return k;
  }

  /** The container's label texts: kept while its name, image, labels and cgroup stay. */
  #labelsOf(s: Measured): LabelTexts {
    const path = s.stats.cgroup?.path;
    let l = this.#labels.get(s.name);
    if (!l || l.path !== path || !sameSource(l.of, s)) this.#labels.set(s.name, (l = labelTexts(s)));
    return l;
  }
}

/**
 * A container's labels as exposition text, alone and joined with each series' own: made once per
 * container, not once per collection of its stats (each round gives every container new stats,
 * hence new lines, with the same labels).
 */
interface LabelTexts {
  of: ContainerSample;
  path: string | undefined;
  base: Array<[string, string]>;
  baseText: string;
  /** With a series' own labels (cpu, device, interface), by those labels. */
  own: Map<string, string>;
}

function labelTexts(s: Measured): LabelTexts {
  const base = labelPairs(containerLabels(s));
  return { of: s, path: s.stats.cgroup?.path, base, baseText: labelText(base), own: new Map() };
}

/**
 * A series' own labels joined with the container's, sorted, the series' winning a name both have;
 * the same few (a device, an interface) serve several series and every collection.
 */
function withOwn(l: LabelTexts, own: Labels): string {
  let key = '';
  for (const k in own) key += `${k}\0${own[k]}\0`;
  let t = l.own.get(key);
  if (t === undefined) l.own.set(key, (t = labelText([...l.base.filter(([k]) => !(k in own)), ...labelPairs(own)].sort(byName))));
  return t;
}

/** One container's lines of each series (in SERIES' order; '' where it has none). */
function linesOf(s: Measured, l: LabelTexts): string[] {
  return SERIES.map(([name, , , read]) => {
    const v = read(s);
    if (v === undefined) return '';
    if (typeof v === 'number') return `${name}{${l.baseText}} ${valueText(v)}\n`;
    return v.map((p) => `${name}{${p.labels ? withOwn(l, p.labels) : l.baseText}} ${valueText(p.value)}\n`).join('');
  });
}
