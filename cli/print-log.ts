// A container's log entry on this terminal (logs, run): kept apart from the verbs so that printing
// one does not load what `run` needs (its Docker translation, zod), which would slow `exec`'s start.
import type { LogEntry } from '../specs/api/containers.ts';

export function printLog(e: LogEntry, timestamps: boolean): void {
  const out = e.stream === 'stderr' ? process.stderr : process.stdout;
  out.write(timestamps ? `${e.time} ${e.log}` : e.log);
}
