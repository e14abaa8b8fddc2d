// Prometheus metrics with the names dashboards already know: cAdvisor's per-container series
// (labels name, image, id), kube-state-metrics-style state and restarts, controller-runtime's
// reconcile counters and workqueue depth, and image pulls. Container series are read at scrape time
// from a source the container controller provides, so nothing is sampled between scrapes.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { RESULT_LABELS, type QueueObserver } from './workqueue.ts';
import type { ContainerPhase, ContainerStats } from '../specs/api/containers.ts';

export interface ContainerSample {
  name: string;
  image: string;
  id: string;
  phase: ContainerPhase;
  restartCount: number;
  /** Unix seconds. */
  startTime?: number;
  stats?: ContainerStats;
}

export const PHASES: readonly ContainerPhase[] = [
  'Pending', 'WaitingForImage', 'Creating', 'Running', 'Paused', 'Exited', 'BackOff', 'Restarting', 'Stopping', 'Removing', 'Failed',
];

export class BerthMetrics {
  readonly registry = new Registry();
  readonly reconcileTotal: Counter<'controller' | 'result'>;
  readonly reconcileTime: Histogram<'controller'>;
  readonly workqueueDepth: Gauge<'name'>;
  readonly imagePullBytes: Counter<'image'>;
  readonly imagePullDuration: Histogram<'image'>;
  #containers: () => Promise<ContainerSample[]> = async () => [];
  #samples: Promise<ContainerSample[]> | undefined;

  constructor(controllers: readonly string[] = ['container', 'image']) {
    const r = [this.registry];
    this.reconcileTotal = new Counter({
      name: 'controller_runtime_reconcile_total',
      help: 'Total number of reconciliations per controller',
      labelNames: ['controller', 'result'],
      registers: r,
    });
    for (const c of controllers) for (const res of RESULT_LABELS) this.reconcileTotal.inc({ controller: c, result: res }, 0);
    this.reconcileTime = new Histogram({
      name: 'controller_runtime_reconcile_time_seconds',
      help: 'Length of time per reconciliation per controller',
      labelNames: ['controller'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: r,
    });
    this.workqueueDepth = new Gauge({ name: 'workqueue_depth', help: 'Current depth of workqueue', labelNames: ['name'], registers: r });
    for (const c of controllers) this.workqueueDepth.set({ name: c }, 0);
    this.imagePullBytes = new Counter({
      name: 'berth_image_pull_bytes_total',
      help: 'Bytes downloaded from registries, per image reference',
      labelNames: ['image'],
      registers: r,
    });
    this.imagePullDuration = new Histogram({
      name: 'berth_image_pull_duration_seconds',
      help: 'Time taken to pull an image',
      labelNames: ['image'],
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers: r,
    });

    // Scrape-time series. One read of the source serves every collector of the same scrape.
    const self = this;
    const samples = () => (self.#samples ??= self.#containers().finally(() => queueMicrotask(() => (self.#samples = undefined))));
    const cadvisor = ['name', 'image', 'id'] as const;
    const perContainer = <T extends Gauge<string> | Counter<string>>(
      metric: T,
      value: (s: ContainerSample) => number | undefined,
    ) => async () => {
      metric.reset();
      for (const s of await samples()) {
        const v = value(s);
        if (v === undefined) continue;
        const labels = { name: s.name, image: s.image, id: s.id };
        if (metric instanceof Gauge) metric.set(labels, v);
        else (metric as Counter<string>).inc(labels, v);
      }
    };
    const counter = (name: string, help: string, value: (s: ContainerSample) => number | undefined) => {
      const m: Counter<string> = new Counter({
        name,
        help,
        labelNames: cadvisor,
        registers: r,
        collect: () => perContainer(m, value)(),
      });
    };
    const gauge = (name: string, help: string, value: (s: ContainerSample) => number | undefined) => {
      const m: Gauge<string> = new Gauge({
        name,
        help,
        labelNames: cadvisor,
        registers: r,
        collect: () => perContainer(m, value)(),
      });
    };
    counter('container_cpu_usage_seconds_total', 'Cumulative cpu time consumed in seconds.', (s) => s.stats?.cpuUsageSeconds);
    gauge('container_memory_usage_bytes', 'Current memory usage in bytes, including all memory regardless of when it was accessed', (s) => s.stats?.memoryUsageBytes);
    gauge('container_memory_working_set_bytes', 'Current working set in bytes.', (s) => s.stats?.memoryWorkingSetBytes);
    gauge('container_spec_memory_limit_bytes', 'Memory limit for the container.', (s) => (s.stats ? s.stats.memoryLimitBytes : undefined));
    gauge('container_start_time_seconds', 'Start time of the container since unix epoch in seconds.', (s) => s.startTime);
    gauge('container_last_seen', 'Last time a container was seen by the exporter', (s) => (s.stats ? Date.parse(s.stats.readAt) / 1000 : undefined));
    // Per interface, as cAdvisor labels them; a source that gives only totals counts them as eth0.
    const perInterface = (name: string, help: string, bytes: (i: { rxBytes: number; txBytes: number }) => number) => {
      const m: Counter<string> = new Counter({
        name,
        help,
        labelNames: [...cadvisor, 'interface'],
        registers: r,
        collect: async () => {
          m.reset();
          for (const s of await samples()) {
            const net = s.stats?.network;
            if (!net) continue;
            for (const i of net.interfaces ?? [{ interface: 'eth0', ...net }]) m.inc({ name: s.name, image: s.image, id: s.id, interface: i.interface }, bytes(i));
          }
        },
      });
    };
    perInterface('container_network_receive_bytes_total', 'Cumulative count of bytes received', (i) => i.rxBytes);
    perInterface('container_network_transmit_bytes_total', 'Cumulative count of bytes transmitted', (i) => i.txBytes);

    const restarts: Counter<string> = new Counter({
      name: 'berth_container_restarts_total',
      help: 'Number of restarts of the container (kube_pod_container_status_restarts_total)',
      labelNames: ['name'],
      registers: r,
      collect: async () => {
        restarts.reset();
        for (const s of await samples()) restarts.inc({ name: s.name }, s.restartCount);
      },
    });
    const state: Gauge<string> = new Gauge({
      name: 'berth_container_state',
      help: 'The lifecycle state of the container: 1 for the current state, 0 for the others',
      labelNames: ['name', 'state'],
      registers: r,
      collect: async () => {
        state.reset();
        for (const s of await samples()) for (const p of PHASES) state.set({ name: s.name, state: p }, p === s.phase ? 1 : 0);
      },
    });
  }

  /** Where the per-container series come from (the container controller). */
  setContainerSource(fn: () => Promise<ContainerSample[]>): void {
    this.#containers = fn;
  }

  /** Feeds a workqueue's depth and results into the controller-runtime series. */
  queueObserver(controller: string): QueueObserver {
    return {
      depth: (n) => this.workqueueDepth.set({ name: controller }, n),
      result: (label, seconds) => {
        this.reconcileTotal.inc({ controller, result: label });
        this.reconcileTime.observe({ controller }, seconds);
      },
    };
  }

  async expose(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
