// Docker's --init: a small init as the container's PID 1 (it reaps zombies and forwards signals to
// the command). As Docker does, the host's static tini (Debian's package tini installs
// /usr/bin/tini-static, and docker.io links it as docker-init) is bind-mounted read-only at
// /sbin/docker-init; static, because the image may have no C library.
import { access, constants } from 'node:fs/promises';
import { FailedPreconditionError } from '../specs/errdefs.ts';

export const INIT_PATH = '/sbin/docker-init';

const CANDIDATES = ['/usr/bin/docker-init', '/usr/bin/tini-static', '/usr/sbin/tini-static', '/usr/libexec/docker/docker-init'];

/** The host path of the init to mount; FailedPrecondition saying what to install when there is none. */
export async function initBinary(candidates: string[] = CANDIDATES): Promise<string> {
  for (const c of candidates) {
    try {
      await access(c, constants.X_OK);
      return c;
    } catch {
      // the next one
    }
  }
  throw new FailedPreconditionError(`--init (spec.init) needs a static init on the daemon's host: install Debian's package tini (it has ${candidates[1]}); looked for ${candidates.join(', ')}`);
}
