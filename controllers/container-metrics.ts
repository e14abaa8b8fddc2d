// Per-container series, read at scrape time from the samples the container controller gives:
// cAdvisor's names, help texts, types and labels (so its Grafana dashboards and alert rules work
// unchanged), and kube-state-metrics-style lifecycle state and restarts under berth_.
//
// Labels as cAdvisor's defaults plus the kubelet's `container`: `id` is the cgroup ("/berth/<id>"),
// `name` and `container` the Container object's name, `image` its image, and each of the object's
// labels as `container_label_<key>`; a series' own labels (`cpu`, `device`, `interface`) join them,
// sorted as cAdvisor prints them. Like cAdvisor, a container is reported while its cgroup can be read.
import { Counter, Gauge, type Metric, type Registry } from 'prom-client';
import type { CgroupStats, ContainerPhase, ContainerStats } from '../specs/api/containers.ts';
import { POD_LABEL } from '../specs/pod.ts';

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

const sorted = (l: Labels): Labels => Object.fromEntries(Object.entries(l).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/**
 * A metric computed at scrape time whose label names vary per container (one per container label,
 * as cAdvisor's): prom-client's Counter and Gauge fix their label names up front, so this is the
 * small interface its Registry reads from a metric (name, help, type, get, reset).
 */
class ScrapeTimeMetric {
  readonly aggregator = 'sum';
  constructor(
    readonly name: string,
    readonly type: 'counter' | 'gauge',
    readonly help: string,
    readonly values: () => Promise<Array<{ labels: Labels; value: number }>>,
  ) {}
  async get() {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: await this.values() };
  }
  reset(): void {}
}

/** Registers the per-container series; `samples` is read once per scrape. */
export function registerContainerMetrics(registry: Registry, samples: () => Promise<ContainerSample[]>): void {
  // A sample's labels, sorted, made once per scrape for its thirty series (a scrape's samples are new objects).
  const labelsOf = new WeakMap<ContainerSample, Labels>();
  const base = (s: ContainerSample): Labels => {
    let l = labelsOf.get(s);
    if (!l) labelsOf.set(s, (l = sorted(containerLabels(s))));
    return l;
  };
  for (const [name, type, help, read] of SERIES) {
    const metric = new ScrapeTimeMetric(name, type, help, async () => {
      const out: Array<{ labels: Labels; value: number }> = [];
      for (const s of await samples()) {
        if (!s.stats) continue;
        const v = read(s as Measured);
        if (v === undefined) continue;
        if (typeof v === 'number') out.push({ labels: base(s), value: v });
        else for (const p of v) out.push({ labels: p.labels ? sorted({ ...base(s), ...p.labels }) : base(s), value: p.value });
      }
      return out;
    });
    registry.registerMetric(metric as unknown as Metric);
  }

  const restarts: Counter<string> = new Counter({
    name: 'berth_container_restarts_total',
    help: 'Number of restarts of the container (kube_pod_container_status_restarts_total)',
    labelNames: ['name'],
    registers: [registry],
    collect: async () => {
      restarts.reset();
      for (const s of await samples()) restarts.inc({ name: s.name }, s.restartCount);
    },
  });
  const state: Gauge<string> = new Gauge({
    name: 'berth_container_state',
    help: 'The lifecycle state of the container: 1 for the current state, 0 for the others',
    labelNames: ['name', 'state'],
    registers: [registry],
    collect: async () => {
      state.reset();
      for (const s of await samples()) for (const p of PHASES) state.set({ name: s.name, state: p }, p === s.phase ? 1 : 0);
    },
  });
}
