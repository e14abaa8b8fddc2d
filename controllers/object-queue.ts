// The workqueue of one kind's controller, as every simple controller (Pod, Deployment, Service)
// makes it: its metrics under the kind's name, a failed reconcile logged with the object's name
// and retried with backoff.
import type { Clock } from './clock.ts';
import type { ControllerLog } from './deps.ts';
import { errorMessage } from './errors.ts';
import type { BerthMetrics } from './metrics.ts';
import { WorkQueue } from './workqueue.ts';

export function objectQueue(
  kind: string,
  o: { clock: Clock; metrics?: BerthMetrics | undefined; log: ControllerLog; concurrency: number },
  handler: (name: string) => Promise<{ requeueAfter?: number }>,
): WorkQueue {
  return new WorkQueue({
    clock: o.clock,
    handler,
    concurrency: o.concurrency,
    ...(o.metrics ? { observer: o.metrics.queueObserver(kind) } : {}),
    onError: (name, err, ms) => o.log.warn(`${kind} reconcile failed; will retry`, { [kind]: name, error: errorMessage(err), retryInMs: ms }),
  });
}
