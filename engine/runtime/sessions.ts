// Opening a process's streams: a container's through its monitor's attach socket, an exec's by
// starting it (on a terminal through berth-exectty). MonitoredRuntime's attach() and execSession()
// are these, with the container's state directory and the runtime's exec command.
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { FailedPreconditionError } from '../../specs/errdefs.ts';
import { FrameSession, PipeSession, TerminalExecSession, type ExecSession, type StdioSession } from './stdio.ts';

/** The monitor's attach socket in the container's state directory `dir` (berth-monitor --socket-dir). */
export function monitorSocket(dir: string): string {
  return join(dir, 'attach.sock');
}

/**
 * Connects to the monitor's attach socket in the container's state directory `dir`. The path goes
 * through /proc/self/fd (a socket's address holds 108 bytes; the state directory's path may not).
 */
export async function attachMonitor(id: string, dir: string, o: { tty: boolean; replay?: boolean }): Promise<StdioSession> {
  let dirfd: number;
  try {
    dirfd = openSync(dir, 'r');
  } catch {
    throw new FailedPreconditionError(`container ${id} is not running; attach needs it running`);
  }
  try {
    const socket = await new Promise<import('node:net').Socket>((resolve, reject) => {
      const s = createConnection(monitorSocket(`/proc/self/fd/${dirfd}`));
      s.once('connect', () => resolve(s));
      s.once('error', reject);
    }).catch((err: NodeJS.ErrnoException) => {
      throw new FailedPreconditionError(`container ${id} is not running (its monitor does not answer: ${err.code ?? err.message}); attach needs it running`);
    });
    // Closed by ending it: what was sent (a resize) still reaches the monitor, which then hangs up.
    return new FrameSession({ tty: o.tty, input: socket, output: socket, close: () => socket.end(), ...(o.replay ? { replay: true } : {}) });
  } finally {
    closeSync(dirfd);
  }
}

/**
 * Starts an exec'd process with its streams held here: `cmd args` is the runtime's exec command
 * (its terminal's console socket and pid file named @CONSOLE@ and @PIDFILE@, which berth-exectty
 * replaces). `detached`: the command leaves the process behind (`runc exec --detach`).
 */
export function startExec(o: { cmd: string; args: string[]; tty: boolean; detached: boolean; dir: string; exectty: string }): ExecSession {
  if (!o.tty) return new PipeSession(spawn(o.cmd, o.args, { stdio: ['pipe', 'pipe', 'pipe'] }));
  const child = spawn(o.exectty, [...(o.detached ? ['--detached'] : []), '--', o.cmd, ...o.args], { cwd: o.dir, stdio: ['pipe', 'pipe', 'pipe'] });
  // Its own errors (and the runtime's) come on stderr; the process's output is on the terminal.
  child.stderr!.resume();
  return new TerminalExecSession(child);
}
