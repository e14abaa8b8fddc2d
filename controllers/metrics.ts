// Prometheus metrics with the names dashboards already know: the daemon's own process_* and
// nodejs_* (prom-client's default collectors), controller-runtime's reconcile counters and
// workqueue depth with its label values, image pulls, and the per-container series of
// container-metrics.ts (cAdvisor's). Container series are read at scrape time from a source the
// container controller provides, so nothing is sampled between scrapes.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ContainerSeries, type ContainerSample } from './container-metrics.ts';
import type { QueueObserver } from './workqueue.ts';

export type { ContainerSample } from './container-metrics.ts';

/** controller-runtime's values of controller_runtime_reconcile_total's `result` label. */
export const RECONCILE_RESULTS = ['success', 'error', 'requeue', 'requeue_after'] as const;

/**
 * prom-client's gauges that end in _total, which `promtool check metrics` rejects ("non-counter
 * metrics should not have _total suffix"); the same counts stay, per type, in the series without
 * the suffix (nodejs_active_handles{type=...} and so on).
 */
const LINT_FAILING_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export class BerthMetrics {
  readonly registry = new Registry();
  readonly reconcileTotal: Counter<'controller' | 'result'>;
  readonly reconcileErrors: Counter<'controller'>;
  readonly terminalReconcileErrors: Counter<'controller'>;
  readonly reconcileTime: Histogram<'controller'>;
  readonly workqueueDepth: Gauge<'name'>;
  readonly imagePullBytes: Counter<'image'>;
  readonly imagePullDuration: Histogram<'image'>;
  #containers: () => Promise<ContainerSample[]> = async () => [];
  #samples: Promise<ContainerSample[]> | undefined;
  readonly #series = new ContainerSeries();

  constructor(controllers: readonly string[] = ['container', 'image']) {
    const r = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    for (const name of LINT_FAILING_DEFAULTS) this.registry.removeSingleMetric(name);

    this.reconcileTotal = new Counter({ name: 'controller_runtime_reconcile_total', help: 'Total number of reconciliations per controller', labelNames: ['controller', 'result'], registers: r });
    this.reconcileErrors = new Counter({ name: 'controller_runtime_reconcile_errors_total', help: 'Total number of reconciliation errors per controller', labelNames: ['controller'], registers: r });
    this.terminalReconcileErrors = new Counter({ name: 'controller_runtime_terminal_reconcile_errors_total', help: 'Total number of terminal reconciliation errors per controller', labelNames: ['controller'], registers: r });
    // As controller-runtime's initMetrics(): every series exists from the start, at 0.
    for (const controller of controllers) {
      for (const result of RECONCILE_RESULTS) this.reconcileTotal.inc({ controller, result }, 0);
      this.reconcileErrors.inc({ controller }, 0);
      this.terminalReconcileErrors.inc({ controller }, 0);
    }
    this.reconcileTime = new Histogram({
      name: 'controller_runtime_reconcile_time_seconds',
      help: 'Length of time per reconciliation per controller',
      labelNames: ['controller'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: r,
    });
    this.workqueueDepth = new Gauge({ name: 'workqueue_depth', help: 'Current depth of workqueue', labelNames: ['name'], registers: r });
    for (const c of controllers) this.workqueueDepth.set({ name: c }, 0);
    this.imagePullBytes = new Counter({ name: 'berth_image_pull_bytes_total', help: 'Bytes downloaded from registries, per image reference', labelNames: ['image'], registers: r });
    this.imagePullDuration = new Histogram({
      name: 'berth_image_pull_duration_seconds',
      help: 'Time taken to pull an image',
      labelNames: ['image'],
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers: r,
    });

  }

  /** Where the per-container series come from (the container controller). */
  setContainerSource(fn: () => Promise<ContainerSample[]>): void {
    this.#containers = fn;
  }

  /** Makes a container's series of the stats just collected ahead of the next scrape (ContainerSeries.prepare). */
  prepare(sample: ContainerSample): void {
    this.#series.prepare(sample);
  }

  /**
   * Feeds a workqueue's depth and outcomes into the controller-runtime series, as controller-runtime
   * counts them: an error is result="error" and one more reconcile error; a terminal error (not
   * retried) is that too, and one more terminal reconcile error.
   */
  queueObserver(controller: string): QueueObserver {
    return {
      depth: (n) => this.workqueueDepth.set({ name: controller }, n),
      result: (outcome, seconds) => {
        const failed = outcome === 'error' || outcome === 'terminal';
        this.reconcileTotal.inc({ controller, result: failed ? 'error' : outcome });
        if (failed) this.reconcileErrors.inc({ controller });
        if (outcome === 'terminal') this.terminalReconcileErrors.inc({ controller });
        this.reconcileTime.observe({ controller }, seconds);
      },
    };
  }

  /** One read of the source serves every collector of the same scrape. */
  #scrapeSamples(): Promise<ContainerSample[]> {
    return (this.#samples ??= this.#containers().finally(() => queueMicrotask(() => (this.#samples = undefined))));
  }

  /**
   * The exposition in two pieces, to be sent one after the other: prom-client's registry, then the
   * per-container series (container-metrics.ts ContainerSeries; the same buffer while nothing in
   * them changed).
   */
  async expose(): Promise<{ contentType: string; body: [Buffer, Buffer] }> {
    const [own, samples] = await Promise.all([this.registry.metrics(), this.#scrapeSamples()]);
    return { contentType: this.registry.contentType, body: [Buffer.from(`${withoutTrailingNewlines(own)}\n\n`), this.#series.bytes(samples)] };
  }
}

/** The text without the newlines it ends with (prom-client's ends with a blank line). */
function withoutTrailingNewlines(text: string): string {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 10) end--;
  return text.slice(0, end);
}
