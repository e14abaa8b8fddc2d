// What every command module uses, kept light (commander types only) because all command modules
// are loaded at start: the socket to talk to, the API client (imported lazily), and the wrapper
// that turns a thrown error into "error: ..." on stderr and a non-zero exit code.
import type { Command } from 'commander';
import type { ApiClient } from './client.ts';

export const DEFAULT_SOCKET = '/run/berth/berth.sock';

/** --socket, else BERTH_SOCKET, else the default. */
export function socketOf(cmd: Command): string {
  const g = cmd.optsWithGlobals() as { socket?: string };
  return g.socket ?? process.env.BERTH_SOCKET ?? DEFAULT_SOCKET;
}

export async function clientFor(cmd: Command): Promise<ApiClient> {
  const { ApiClient } = await import('./client.ts');
  return new ApiClient(socketOf(cmd));
}

/** Prints an error the way every verb does. */
export function printError(err: unknown): void {
  const msg = err instanceof Error ? err.message : String(err);
  // Several located problems (file:line:col: ...) print one per line, as compilers do; the last
  // line is the summary.
  const lines = msg.split('\n');
  const last = lines.pop()!;
  process.stderr.write(lines.map((l) => l + '\n').join('') + `error: ${last}\n`);
  if (process.env.BERTH_DEBUG && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
}

/**
 * Wraps a commander action. The action may return an exit code; a thrown error is printed on
 * stderr and exits with `errorExit` (1 unless the verb says otherwise, e.g. diff uses 2).
 */
// commander passes (args..., options, command): any[] is its own action signature.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function action(fn: (...args: any[]) => Promise<number | void>, opts: { errorExit?: number } = {}) {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return async (...args: any[]): Promise<void> => {
    try {
      const code = await fn(...args);
      if (typeof code === 'number') process.exitCode = code;
    } catch (err) {
      printError(err);
      process.exitCode = opts.errorExit ?? 1;
    }
  };
}

/** commander's accumulator for a repeatable option (`-e A -e B`). */
export const collect = (value: string, previous: string[]): string[] => [...previous, value];
