// Docker's GET /containers/{id}/logs: the container service's log entries (the same stream `berth
// logs` reads) in Docker's framing — raw for a terminal, multiplexed stdout/stderr frames without
// one — with Docker's stdout/stderr, follow, since, until, timestamps and tail parameters.
import { InvalidArgumentError } from '../../specs/errdefs.ts';
import { frame, MULTIPLEXED_STREAM, RAW_STREAM, STDERR, STDOUT } from '../../specs/streams/stdcopy.ts';
import type { LogEntry } from '../../specs/api/containers.ts';
import type { ApiReply } from '../api.ts';
import type { DaemonContext } from '../context.ts';
import { containersOf, flag, timeParam } from './common.ts';

/** A log entry as Docker's bytes: its text, after its time stamp when asked. */
export function logBytes(e: LogEntry, o: { tty: boolean; timestamps: boolean }): Buffer {
  const text = Buffer.from(o.timestamps ? `${e.time} ${e.log}` : e.log);
  return o.tty ? text : frame(e.stream === 'stderr' ? STDERR : STDOUT, text);
}

export async function dockerLogs(ctx: DaemonContext, name: string, q: URLSearchParams, signal: AbortSignal): Promise<ApiReply> {
  const svc = containersOf(ctx);
  const stdout = flag(q, 'stdout');
  const stderr = flag(q, 'stderr');
  if (!stdout && !stderr) throw new InvalidArgumentError('Bad parameters: you must choose at least one stream');
  const tailText = q.get('tail');
  const tail = tailText === null || tailText === '' || tailText === 'all' ? undefined : Number(tailText);
  if (tail !== undefined && !(Number.isInteger(tail) && tail >= 0)) throw new InvalidArgumentError(`invalid value for tail: "${tailText}" (a number of lines, or all)`);
  const since = timeParam(q, 'since');
  const until = timeParam(q, 'until');
  const o = { tty: (await svc.inspect(name)).spec.tty === true, timestamps: flag(q, 'timestamps') };
  const follow = flag(q, 'follow') && until === undefined;
  // A container made but never started has no output yet: an empty log, as Docker's.
  const created = svc.list({ all: true }).find((s) => s.name === name);
  const entries = created?.id ? svc.logs(name, { follow, ...(tail !== undefined ? { tail } : {}) }, signal) : undefined;
  async function* body(): AsyncIterable<Buffer> {
    if (!entries) return;
    for await (const e of entries) {
      const t = Date.parse(e.time);
      if (since !== undefined && t < since) continue;
      if (until !== undefined && t > until) break;
      if ((e.stream === 'stdout' && !stdout) || (e.stream === 'stderr' && !stderr)) continue;
      yield logBytes(e, o);
    }
  }
  return { contentType: o.tty ? RAW_STREAM : MULTIPLEXED_STREAM, body: body() };
}
