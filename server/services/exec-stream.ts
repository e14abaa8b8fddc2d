// The frames of a streamed exec (specs/streams/exec-stream.ts) from the engine's exec: its output
// as it comes, then how it ended. The client going away (`signal`) kills the exec.
import { execEndFrame } from '../../specs/streams/exec-stream.ts';
import { frame, STDERR, STDOUT } from '../../specs/streams/stdcopy.ts';
import type { ExecOptions, ExecResult } from '../../engine/runtime/runtime.ts';

export async function* execFrames(run: (o: Pick<ExecOptions, 'output' | 'signal'>) => Promise<ExecResult>, signal: AbortSignal): AsyncGenerator<Buffer> {
  const queue: Buffer[] = [];
  let end: Buffer | undefined;
  let wake: (() => void) | undefined;
  const ac = new AbortController();
  const onAbort = () => ac.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  const output = (stream: 'stdout' | 'stderr', chunk: Buffer) => {
    queue.push(frame(stream === 'stdout' ? STDOUT : STDERR, chunk));
    wake?.();
  };
  run({ output, signal: ac.signal }).then(
    (r) => {
      // An engine that cannot stream hands its output over at the end.
      if (r.stdout.length) output('stdout', r.stdout);
      if (r.stderr.length) output('stderr', r.stderr);
      end = execEndFrame({ exitCode: r.exitCode, ...(r.signal ? { signal: r.signal } : {}) });
    },
    (err: unknown) => (end = execEndFrame({ error: err })),
  ).finally(() => wake?.());
  try {
    for (;;) {
      while (queue.length) yield queue.shift()!;
      if (end) {
        yield end;
        return;
      }
      await new Promise<void>((r) => (wake = r));
      wake = undefined;
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    // Left before the end (the client went away): the exec is killed.
    if (!end) ac.abort();
  }
}
