// `run` as one request: the container service's create, wait-until-started, followed logs,
// wait-until-exited and (for --rm) removal, done here in the daemon so that the CLI makes one round
// trip instead of five (POST /v1/containers/run).
import { UnavailableError } from '../../specs/errdefs.ts';
import type { RunEvent } from '../../specs/api/containers.ts';
import type { ContainerService } from './containers.ts';

export interface AttachOptions {
  /** Answer once started (the CLI prints the id): `run -d`. */
  detach?: boolean;
  /** Remove the container, and its anonymous volumes, once it exited (foreground --rm; a detached --rm is the spec's). */
  rm?: boolean;
}

/**
 * Follows a container just created: `started`, then its output and its `exit`. The exit is waited
 * for from the start: with --rm the container is gone once it exited, and asking later finds nothing.
 */
export async function* attachRun(containers: ContainerService, name: string, o: AttachOptions, signal: AbortSignal): AsyncGenerator<RunEvent> {
  const ac = new AbortController();
  const stop = () => ac.abort();
  signal.addEventListener('abort', stop, { once: true });
  const exited = o.detach ? undefined : containers.wait(name, { condition: 'exited' }, ac.signal);
  exited?.catch(() => undefined);
  try {
    const started = await containers.wait(name, { condition: 'started' }, ac.signal);
    if (started.phase === 'Failed' || started.phase === 'Removed' || !started.id || started.startError !== undefined) {
      const st = (await containers.inspect(name).catch(() => undefined))?.status ?? {};
      if (o.rm) await containers.remove(name, { force: true }).catch(() => undefined);
      throw new UnavailableError(`container "${name}" failed to start: ${started.startError ?? st.message ?? st.reason ?? `see \`berth describe container ${name}\``}`);
    }
    yield { type: 'started', name, id: started.id };
    if (o.detach) return;
    for await (const e of containers.logs(name, { follow: true }, ac.signal)) yield { type: 'log', ...e };
    const r = await exited!;
    if (o.rm) await containers.remove(name, { force: true, volumes: true }, signal).catch(() => undefined);
    yield { type: 'exit', name, phase: r.phase, ...(r.exitCode !== undefined ? { exitCode: r.exitCode } : {}) };
  } finally {
    signal.removeEventListener('abort', stop);
    ac.abort();
  }
}
