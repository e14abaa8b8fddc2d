// Child process of the crash test: writes batches of 10 objects, one transaction per batch, and
// reports each committed batch on stdout until it is killed.
import { Store } from '../../store/store.ts';

const store = new Store(process.argv[2]!);
for (let batch = 0; ; batch++) {
  store.transaction(() => {
    for (let j = 0; j < 10; j++) {
      store.put(
        {
          apiVersion: 'berth.dev/v1',
          kind: 'Container',
          metadata: { name: `b${batch}-${j}`, labels: { batch: String(batch) } },
          spec: { image: 'x/y', restartPolicy: 'Always', readOnlyRootFilesystem: false, terminationGracePeriodSeconds: 30 },
        },
        'cli',
      );
      store.recordEvent({ type: 'Normal', reason: 'Created', message: `batch ${batch}`, involvedObject: { kind: 'Container', name: `b${batch}-${j}` }, component: 'crash' });
    }
  });
  process.stdout.write(`${batch}\n`);
  if (batch % 20 === 0) await new Promise((r) => setImmediate(r));
}
