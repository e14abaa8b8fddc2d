// A process's streams on a hijacked connection, as dockerd serves attach and exec start: with a
// terminal the output is raw and the input goes through the detach keys; without one the output
// is Docker's multiplexed frames (specs/streams/stdcopy.ts) and the input raw. The client's end
// of input (a half-close) closes the process's stdin when the streams say so (stdinOnce, exec),
// and ends the attach otherwise. The connection ends when the output does, or on the detach keys;
// the process keeps running when the client goes away.
import type { Duplex } from 'node:stream';
import type { OpenStreams } from '../services/attach.ts';
import { DetachKeyFilter } from '../../specs/streams/detach-keys.ts';
import { frameHeader, STDERR, STDOUT } from '../../specs/streams/stdcopy.ts';
import { drained } from '../../specs/streams/drained.ts';

export interface HijackOptions {
  /** Read the client's input (Docker's stdin=1). */
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  /** The detach sequence (terminal only); empty: none. */
  detachKeys: Buffer;
  /** The output as it is, without a terminal too (Docker's attach over a WebSocket): no frames. */
  raw?: boolean;
}

/** How the streams ended: the process's output ended, the client detached, or it went away. */
export type HijackEnd = 'ended' | 'detached' | 'gone';

export function serveHijacked(socket: Duplex, streams: OpenStreams, o: HijackOptions): Promise<HijackEnd> {
  const { session, tty } = streams;
  return new Promise<HijackEnd>((resolve) => {
    let done = false;
    const finish = (how: HijackEnd) => {
      if (done) return;
      done = true;
      session.close();
      if (how === 'gone') socket.destroy();
      else socket.end();
      resolve(how);
    };
    socket.on('error', () => finish('gone'));
    socket.on('close', () => finish('gone'));

    void (async () => {
      for await (const c of session.output()) {
        if (done) return;
        if ((c.stream === 'stdout' && !o.stdout) || (c.stream === 'stderr' && !o.stderr)) continue;
        const ok = tty || o.raw ? socket.write(c.data) : socket.write(Buffer.concat([frameHeader(c.stream === 'stderr' ? STDERR : STDOUT, c.data.length), c.data]));
        if (!ok) await drained(socket);
      }
      await streams.ended;
      finish('ended');
    })().catch(() => finish('gone'));

    if (!o.stdin) return socket.resume();
    const keys = tty ? new DetachKeyFilter(o.detachKeys) : undefined;
    socket.on('data', (chunk: Buffer) => {
      if (done) return;
      const { data, detached } = keys ? keys.push(chunk) : { data: chunk, detached: false };
      if (data.length) session.write(data);
      if (detached) finish('detached');
    });
    socket.on('end', () => {
      if (done) return;
      if (streams.closeStdin && !tty) session.closeStdin();
      else finish('ended');
    });
  });
}
