// An exec's process run to its end: its output collected (or handed on as it comes, ExecOptions.
// output), its exit code, 137 after a timeout, killed when the caller aborts. Two ways to start
// it: a command of its own (`runc exec`, `berth-run exec`: spawnExec), or the native runtime's exec
// helper (exec-helper.ts), which both end in execResult.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { ExecOptions, ExecResult } from './runtime.ts';

/** Where an exec's output goes: to `o.output` as it comes, or kept for the result. */
export function outputSink(o: ExecOptions): { write(stream: 'stdout' | 'stderr', chunk: Buffer): void; result(exitCode: number): ExecResult } {
  const kept = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  return {
    write: (stream, chunk) => (o.output ? o.output(stream, chunk) : kept[stream].push(chunk)),
    result: (exitCode) => execResult(exitCode, Buffer.concat(kept.stdout), Buffer.concat(kept.stderr)),
  };
}

/** The result of an exit code: 128+N is signal N's, as a shell reports it. */
export function execResult(exitCode: number, stdout: Buffer, stderr: Buffer): ExecResult {
  return { exitCode, ...(exitCode > 128 && exitCode < 160 ? { signal: signalName(exitCode - 128) } : {}), stdout, stderr };
}

/** The name of signal number n ("SIGKILL" for 9). */
export function signalName(n: number): string {
  for (const [name, v] of Object.entries(constants.signals)) if (v === n) return name;
  return `SIG${n}`;
}

/**
 * Calls `kill` once the exec has run `o.timeoutMs` or the caller aborted; `timedOut()` tells which.
 * The returned `done()` stops watching.
 */
export function execDeadline(o: ExecOptions, kill: () => void): { timedOut(): boolean; done(): void } {
  let timedOut = false;
  const timer = o.timeoutMs ? setTimeout(() => ((timedOut = true), kill()), o.timeoutMs) : undefined;
  o.signal?.addEventListener('abort', kill, { once: true });
  if (o.signal?.aborted) kill();
  return {
    timedOut: () => timedOut,
    done: () => {
      if (timer) clearTimeout(timer);
      o.signal?.removeEventListener('abort', kill);
    },
  };
}

/** Runs `cmd args` (which runs the process in the container, its stdio being ours) to its end. */
export async function spawnExec(cmd: string, args: string[], o: ExecOptions): Promise<ExecResult> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const sink = outputSink(o);
  child.stdout.on('data', (d: Buffer) => sink.write('stdout', d));
  child.stderr.on('data', (d: Buffer) => sink.write('stderr', d));
  const deadline = execDeadline(o, () => child.kill('SIGKILL'));
  try {
    const [code, sig] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (c, s) => resolve([c, s]));
    });
    return sink.result(deadline.timedOut() ? 137 : code ?? 128 + (sig ? constants.signals[sig] : 0));
  } finally {
    deadline.done();
  }
}
