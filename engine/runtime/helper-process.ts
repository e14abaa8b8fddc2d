// A small long-lived native helper of the runtime (the monitor server, the exec helper): started
// from here, ready once it has written its first line (it listens by then), and from then on
// keeping neither this process's event loop nor its pipes alive.
import { spawn, type ChildProcess } from 'node:child_process';
import { UnavailableError } from '../../specs/errdefs.ts';

/**
 * Starts `binary args` and resolves with it once it has said it is ready (anything on its stdout);
 * rejects, with what it said on stderr, when it cannot be started or ends first. `stdin: 'pipe'`
 * ties its life to this process (it ends when the pipe closes); `onExit` hears of its end.
 */
export function startHelper(what: string, binary: string, args: string[], o: { cwd?: string; stdin: 'pipe' | 'ignore'; onExit?: (child: ChildProcess) => void }): Promise<ChildProcess> {
  return new Promise<ChildProcess>((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(binary, args, { ...(o.cwd ? { cwd: o.cwd } : {}), stdio: [o.stdin, 'pipe', 'pipe'] });
    } catch (err) {
      return reject(new UnavailableError(`${what} ${binary}: ${(err as Error).message}`, { cause: err }));
    }
    let said = '';
    child.stderr!.on('data', (d: Buffer) => (said = (said + d.toString()).slice(-2000)));
    child.stdout!.once('data', () => {
      child.unref();
      for (const s of [child.stdin, child.stdout, child.stderr] as Array<{ unref?: () => void } | null>) s?.unref?.();
      resolve(child);
    });
    child.once('error', (err) => reject(new UnavailableError(`${what} ${binary}: ${err.message}`, { cause: err })));
    child.once('exit', (code) => {
      o.onExit?.(child);
      reject(new UnavailableError(`${what} ${binary} exited (${code}) before it listened: ${said.trim()}`));
    });
  });
}
