// Applying 500 objects through the CLI (`berth apply -f DIR`: read, send, validate, store in one
// transaction) against docker-compose parsing and validating the same 500 services
// (`docker-compose config`). Both in objects per second; higher is better.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDaemon } from '../server/daemon.ts';
import { createLogger } from '../server/log.ts';
import { interleave, median, report } from './lib.ts';

const N = 500;
// Asynchronous: the daemon runs in this process and must keep serving while the CLI waits.
const run = promisify(execFile);

export default async function bench(args: string[]): Promise<void> {
  const rounds = Number(args[0] ?? 7);
  const repo = fileURLToPath(new URL('..', import.meta.url));
  const berth = join(repo, 'bin', 'berth');
  const tmp = mkdtempSync(join(tmpdir(), 'berth-bench-store-'));
  const manifests = join(tmp, 'manifests');
  mkdirSync(manifests);
  const compose: string[] = ['version: "3.8"', 'services:'];
  for (let i = 0; i < N; i++) {
    writeFileSync(
      join(manifests, `c${String(i).padStart(3, '0')}.yaml`),
      `apiVersion: berth.dev/v1\nkind: Container\nmetadata:\n  name: c${i}\n  labels: {app: bench}\nspec:\n  image: docker.io/library/busybox:1.36\n` +
        `  command: [sh, -c, "sleep 3600"]\n  env: [{name: N, value: "${i}"}]\n  ports: [{containerPort: 8080}]\n  resources: {limits: {memory: 16Mi, cpu: 100m}}\n`,
    );
    compose.push(`  c${i}:`, '    image: docker.io/library/busybox:1.36', '    command: [sh, -c, "sleep 3600"]', '    labels: {app: bench}', `    environment: {N: "${i}"}`, '    expose: ["8080"]', '    mem_limit: 16m', '    cpus: 0.1');
  }
  writeFileSync(join(tmp, 'docker-compose.yml'), compose.join('\n') + '\n');
  const socket = join(tmp, 'berth.sock');
  const daemon = await startDaemon({ root: join(tmp, 'root'), socket, watch: [] }, createLogger({ level: 'warn' }));
  const env = { ...process.env, BERTH_SOCKET: socket };
  // Each timed apply creates all 500; the delete that follows is not timed.
  try {
    const samples = await interleave(
      rounds,
      {
        berth: () => run(process.execPath, [berth, 'apply', '-f', manifests], { env }),
        'docker-compose config': () => run('docker-compose', ['-f', join(tmp, 'docker-compose.yml'), 'config', '-q']),
        // Resets the store for the next berth round (its time is not reported).
        reset: () => run(process.execPath, [berth, 'delete', '-f', manifests], { env }),
      },
      { warmup: 1 },
    );
    const perSecond = (ms: number) => (N * 1000) / ms;
    report('store', perSecond(median(samples.berth!)), 'docker-compose', perSecond(median(samples['docker-compose config']!)), 'objects/s');
  } finally {
    await daemon.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}
