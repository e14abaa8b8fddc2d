// The client side of a hijacked stream (attach, run -it, exec -it): this terminal in raw mode while
// attached (restored on every way out: the process's end, the daemon going away, a signal), its size
// sent at the start and on every SIGWINCH, typed input sent on (the detach keys end the attach,
// leaving the process running), and the output written out — raw from a terminal, Docker's
// multiplexed frames otherwise.
import type { Socket } from 'node:net';
import { DetachKeyFilter } from '../specs/streams/detach-keys.ts';
import { FrameDecoder, RAW_STREAM, STDERR } from '../specs/streams/stdcopy.ts';
import type { ApiClient, Query } from './client.ts';
import { proxySignals } from './sig-proxy.ts';

export type StreamEnd = 'ended' | 'detached';

export interface StreamRequest {
  /** The upgrade route: /v1/containers/NAME/attach or /v1/execs/ID/start. */
  path: string;
  query: Query;
  /** Where this terminal's size goes (…/resize), when the stream is a terminal. */
  resizePath: string;
  /** Send this process's stdin. */
  stdin: boolean;
  detachKeys: Buffer;
  /** Without a terminal: this container gets the client's signals (Docker's --sig-proxy). */
  sigProxy?: string;
}

/** Raw mode on this terminal until the returned function (also run at exit) restores it. */
function rawMode(): () => void {
  const stdin = process.stdin;
  if (!stdin.isTTY) return () => undefined;
  stdin.setRawMode(true);
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    try {
      stdin.setRawMode(false);
    } catch {
      // stdin is gone: nothing to restore
    }
  };
  process.once('exit', restore);
  return () => {
    restore();
    process.off('exit', restore);
  };
}

/** Streams until the process's output ends (or the daemon goes away), or the detach keys are typed. */
export async function streamAttached(client: ApiClient, r: StreamRequest): Promise<StreamEnd> {
  const { socket, contentType } = await client.upgrade('POST', r.path, { query: r.query });
  const tty = contentType === RAW_STREAM;
  const restore = tty && r.stdin ? rawMode() : () => undefined;
  const onWinch = () => {
    const { rows, columns } = process.stdout;
    if (rows && columns) void client.json('POST', r.resizePath, { query: { h: rows, w: columns } }).catch(() => undefined);
  };
  // The process cannot be told to stop by ^C here (it is typed to it): a signal from elsewhere
  // ends the attach, with the terminal restored first.
  const onSignal = (sig: NodeJS.Signals) => {
    restore();
    socket.destroy();
    process.exit(128 + (sig === 'SIGHUP' ? 1 : 15));
  };
  if (tty && process.stdout.isTTY) {
    onWinch();
    process.stdout.on('resize', onWinch);
  }
  if (tty) for (const s of ['SIGTERM', 'SIGHUP'] as const) process.on(s, onSignal);
  const unproxy = !tty && r.sigProxy ? proxySignals(client, () => r.sigProxy) : () => undefined;
  try {
    return await pump(socket, tty, r);
  } finally {
    unproxy();
    restore();
    process.stdout.off('resize', onWinch);
    for (const s of ['SIGTERM', 'SIGHUP'] as const) process.off(s, onSignal);
  }
}

function pump(socket: Socket, tty: boolean, r: StreamRequest): Promise<StreamEnd> {
  return new Promise<StreamEnd>((resolve) => {
    const stdin = process.stdin;
    const decoder = new FrameDecoder();
    let done = false;
    const onInput = (chunk: Buffer) => {
      const { data, detached } = keys.push(chunk);
      if (data.length) socket.write(data);
      if (detached) finish('detached');
    };
    const onInputEnd = () => socket.end();
    const finish = (how: StreamEnd) => {
      if (done) return;
      done = true;
      stdin.off('data', onInput);
      stdin.off('end', onInputEnd);
      stdin.pause();
      if (how === 'detached') socket.destroy();
      resolve(how);
    };
    const keys = new DetachKeyFilter(tty ? r.detachKeys : Buffer.alloc(0));
    socket.on('data', (chunk: Buffer) => {
      if (tty) return void process.stdout.write(chunk);
      for (const f of decoder.push(chunk)) (f.type === STDERR ? process.stderr : process.stdout).write(f.payload);
    });
    socket.on('end', () => finish('ended'));
    socket.on('close', () => finish('ended'));
    socket.on('error', () => finish('ended'));
    if (r.stdin) {
      stdin.on('data', onInput);
      stdin.on('end', onInputEnd);
      stdin.resume();
    }
  });
}
