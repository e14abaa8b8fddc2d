// Shared by the control-plane tests: a real daemon on a temporary root and socket (in this
// process, so tests can also look at its store), the real `berth` CLI (compiled, as users run
// it), and waiting for a condition without timing anything.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiClient } from '../../cli/client.ts';
import { startDaemon, type Daemon } from '../../server/daemon.ts';
import { createLogger, type Logger } from '../../server/log.ts';

export const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const BERTH = join(REPO, 'bin', 'berth');

export async function tempDir(prefix = 'berth-test-'): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export interface TestDaemon {
  daemon: Daemon;
  root: string;
  socket: string;
  client: ApiClient;
  logs: string[];
  stop(): Promise<void>;
}

/** A daemon on a fresh temporary root and socket; its log lines are kept in `logs`. */
export async function startTestDaemon(opts: { watch?: string[]; dir?: string } = {}): Promise<TestDaemon> {
  const tmp = opts.dir ? { path: opts.dir, remove: async () => {} } : await tempDir();
  const root = join(tmp.path, 'root');
  const socket = join(tmp.path, 'run', 'berth.sock');
  const logs: string[] = [];
  const log: Logger = createLogger({ level: 'debug', write: (l) => void logs.push(l) });
  const daemon = await startDaemon({ root, socket, watch: opts.watch ?? [] }, log);
  return {
    daemon,
    root,
    socket,
    client: new ApiClient(socket),
    logs,
    stop: async () => {
      await daemon.stop();
      await tmp.remove();
    },
  };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the compiled `berth` CLI (bin/berth → dist/), asynchronously so an in-process daemon keeps serving. */
export function berth(args: string[], opts: { socket?: string; input?: string; cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  if (!existsSync(join(REPO, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does)');
  return new Promise((resolvePromise, reject) => {
    const env = { ...process.env, ...opts.env };
    delete env.BERTH_SOCKET;
    if (opts.socket) env.BERTH_SOCKET = opts.socket;
    const child = spawn(process.execPath, [BERTH, ...args], { cwd: opts.cwd ?? REPO, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

/**
 * Waits until `check` returns a value other than undefined/false. The limit only turns a hang
 * into a failure with a message; it is not an assertion about speed.
 */
export async function until<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, limitMs = 30_000): Promise<T> {
  const deadline = Date.now() + limitMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const CONTAINER = (name: string, image = 'docker.io/library/busybox:1.36', extra = '') => `apiVersion: berth.dev/v1
kind: Container
metadata:
  name: ${name}
spec:
  image: ${image}
${extra}`;

export const IMAGE = (name: string, ref = `localhost:5000/${name}:1`) => `apiVersion: berth.dev/v1
kind: Image
metadata:
  name: ${name}
spec:
  ref: ${ref}
  pull: {policy: IfNotPresent}
`;
