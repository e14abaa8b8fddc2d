// A subPath of a volume (or of a host directory, or of an emptyDir): resolved and bound by
// native/berth-subpath under <root>/subpaths/<container id>/<n>, and the container's mount takes it
// from there. A path string would be resolved again by the runtime at every start, through
// whatever links a container has left in the volume meanwhile; the bound object cannot change.
import { execFile } from 'node:child_process';
import { lstatSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { FailedPreconditionError } from '../../specs/errdefs.ts';
import { nativeBinary } from '../runtime/monitored-runtime.ts';
import { mountPoints, runTool } from './mount-table.ts';

const exec = promisify(execFile);

/** Binds base/subPath (resolved inside base, missing directories made) at target. */
export async function stageSubPath(base: string, subPath: string, target: string, what: string): Promise<void> {
  await mkdir(dirname(target), { recursive: true, mode: 0o700 });
  try {
    await exec(nativeBinary('berth-subpath'), [base, subPath, target]);
  } catch (err) {
    const msg = ((err as { stderr?: string }).stderr ?? '').trim().replace(/^berth-subpath: /, '') || (err as Error).message;
    throw new FailedPreconditionError(`${what}: subPath "${subPath}": ${msg}`, { cause: err });
  }
}

/** Unmounts everything under dir (deepest first), then removes it; never deletes through a mount. */
export async function unstageAll(dir: string): Promise<void> {
  // Nothing is mounted under a directory that is not there (a mount point cannot be removed while
  // mounted): most containers have no subPath, and the mount table, read for them at every removal,
  // has lines for every container.
  if (!lstatSync(dir, { throwIfNoEntry: false })) return;
  const under = (await mountPoints()).filter((m) => m === dir || m.startsWith(`${dir}/`)).sort((a, b) => b.length - a.length);
  for (const m of under) await runTool('umount', [m]);
  const left = (await mountPoints()).filter((m) => m === dir || m.startsWith(`${dir}/`));
  if (left.length) throw new FailedPreconditionError(`${dir}: still mounted (${left.join(', ')}); unmount them, then remove the container again`);
  await rm(dir, { recursive: true, force: true });
}
