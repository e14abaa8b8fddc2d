// Ending a container's cgroup, whatever still runs in it: a daemon killed at the wrong moment can
// leave processes the runtime no longer knows (a launch whose record was lost, an exec'd process
// that outlived its init, runc's state gone), and a cgroup with a process in it cannot be removed
// (EBUSY). So removal is runc's own order — freeze, SIGKILL every process, thaw, wait until the
// cgroup is empty — then rmdir, deepest first, in every hierarchy the container has a directory in
// (cgroup v1 controllers and named hierarchies, the v2 unified one, hybrid hosts have both).
// Hand-written: no maintained npm package manages cgroups; it is a few reads and writes of their files.
import { readdirSync, readFileSync, rmdirSync } from 'node:fs';
import { readdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { UnavailableError } from '../../specs/errdefs.ts';

export interface CgroupMount {
  path: string;
  version: 1 | 2;
  /** v1: the controllers (and name=...) of the hierarchy. */
  options: string[];
}

/** Every cgroup hierarchy mounted in this mount namespace (/proc/self/mountinfo). */
export async function cgroupMounts(mountinfo?: string): Promise<CgroupMount[]> {
  return parseMounts(mountinfo ?? (await readFile('/proc/self/mountinfo', 'utf8')));
}

let hierarchies: CgroupMount[] | undefined;

/** cgroupMounts, read once per process: a host's cgroup hierarchies are mounted at boot, and each
 * container's removal read the whole mount table again (through the thread pool: its share of a
 * start-to-exit went from 1 to 12-16 ms when both cores were busy). */
function knownMounts(): CgroupMount[] {
  return (hierarchies ??= parseMounts(readFileSync('/proc/self/mountinfo', 'utf8')));
}

function parseMounts(text: string): CgroupMount[] {
  const out: CgroupMount[] = [];
  const seen = new Set<string>();
  for (const line of text.split('\n')) {
    const [pre, post] = line.split(' - ');
    if (!pre || !post) continue;
    const [fstype, , superOptions = ''] = post.split(' ');
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue;
    const path = pre.split(' ')[4]!.replace(/\\040/g, ' ');
    if (seen.has(path)) continue;
    seen.add(path);
    out.push({ path, version: fstype === 'cgroup2' ? 2 : 1, options: superOptions.split(',') });
  }
  return out;
}

/** The relative cgroup path, refused when it could name a hierarchy's root or climb out of it. */
function relative(cgroup: string): string {
  const rel = cgroup.replace(/^\/+|\/+$/g, '');
  if (!rel || rel.split('/').some((p) => p === '..' || p === '.' || p === '')) {
    throw new UnavailableError(`cgroup path "${cgroup}" is not a container's cgroup; refusing to end it`);
  }
  return rel;
}

/** The cgroup's directory and every one below it, deepest first. */
async function tree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => undefined);
  if (!entries) return [];
  const below = await Promise.all(entries.filter((e) => e.isDirectory()).map((e) => tree(join(dir, e.name))));
  return [...below.flat(), dir];
}

async function pids(dirs: string[]): Promise<number[]> {
  const all = new Set<number>();
  for (const d of dirs) {
    for (const l of (await readFile(join(d, 'cgroup.procs'), 'utf8').catch(() => '')).split('\n')) if (l.trim()) all.add(Number(l));
  }
  return [...all];
}

async function write(file: string, value: string): Promise<boolean> {
  return writeFile(file, value).then(() => true, () => false);
}

/** Freezes (or thaws) with whichever freezer the host has; false when it has none for this cgroup. */
async function setFrozen(mounts: CgroupMount[], rel: string, frozen: boolean): Promise<boolean> {
  const v1 = mounts.find((m) => m.version === 1 && m.options.includes('freezer'));
  if (v1) {
    const state = join(v1.path, rel, 'freezer.state');
    if (!(await write(state, frozen ? 'FROZEN' : 'THAWED'))) return false;
    // FREEZING until every task has stopped; a task in uninterruptible sleep can hold it there.
    for (let i = 0; frozen && i < 100; i++) {
      if ((await readFile(state, 'utf8').catch(() => '')).trim() === 'FROZEN') break;
      await sleep(5);
      await write(state, 'FROZEN');
    }
    return true;
  }
  const v2 = mounts.find((m) => m.version === 2);
  return v2 ? write(join(v2.path, rel, 'cgroup.freeze'), frozen ? '1' : '0') : false;
}

/**
 * Kills every process in the cgroup `cgroup` (relative to each hierarchy, e.g. "/berth/<id>") and
 * in the cgroups below it, and waits until they are gone. Idempotent; nothing there is fine.
 */
export async function killCgroup(cgroup: string, o: { timeoutMs?: number; mounts?: CgroupMount[] } = {}): Promise<void> {
  const rel = relative(cgroup);
  const mounts = o.mounts ?? knownMounts();
  const dirs = (await Promise.all(mounts.map((m) => tree(join(m.path, rel))))).flat();
  if (!dirs.length || !(await pids(dirs)).length) return;
  // v2's cgroup.kill (Linux 5.14) kills the whole subtree at once, a fork racing it included.
  const v2 = mounts.find((m) => m.version === 2);
  if (v2) await write(join(v2.path, rel, 'cgroup.kill'), '1');
  const deadline = Date.now() + (o.timeoutMs ?? 10_000);
  for (;;) {
    const left = await pids(dirs);
    if (!left.length) return;
    if (Date.now() > deadline) throw new UnavailableError(`cgroup ${cgroup}: processes ${left.join(', ')} did not end after SIGKILL; try again`);
    // Frozen, nothing can fork while the list is read and killed; the kills land at the thaw.
    const frozen = await setFrozen(mounts, rel, true);
    for (const pid of await pids(dirs)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    if (frozen) await setFrozen(mounts, rel, false);
    await sleep(10);
  }
}

/**
 * Removes the cgroup `cgroup` and those below it from every hierarchy, killing first whatever still
 * runs there. Idempotent.
 */
export async function removeCgroup(cgroup: string, o: { timeoutMs?: number } = {}): Promise<void> {
  const rel = relative(cgroup);
  const mounts = knownMounts();
  if (removeEmpty(mounts, rel)) return;
  await killCgroup(cgroup, { ...o, mounts });
  const dirs = (await Promise.all(mounts.map((m) => tree(join(m.path, rel))))).flat();
  for (const dir of dirs) {
    // Killed tasks leave the cgroup as they exit; the last of them may still be on their way out.
    for (let i = 0; ; i++) {
      try {
        await rmdir(dir);
        break;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') break;
        if (code !== 'EBUSY' || i >= 200) throw new UnavailableError(`remove cgroup ${dir}: ${(err as Error).message}`);
        await sleep(10);
      }
    }
  }
}

/**
 * The common case, an ended container's cgroup with nothing left in it, done synchronously: a few
 * dozen reads and rmdirs of cgroupfs take well under a millisecond, where each one's round trip
 * through libuv's thread pool took 10-30 ms in all on a loaded 2-core host. False (nothing done
 * that matters) when a process is there or a directory is busy: the caller kills and waits.
 */
function removeEmpty(mounts: CgroupMount[], rel: string): boolean {
  const treeSync = (dir: string): string[] => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return [];
    }
    return [...entries.filter((e) => e.isDirectory()).flatMap((e) => treeSync(join(dir, e.name))), dir];
  };
  const dirs = mounts.flatMap((m) => treeSync(join(m.path, rel)));
  const busy = (d: string) => {
    try {
      return readFileSync(join(d, 'cgroup.procs'), 'utf8').trim() !== '';
    } catch {
      return false;
    }
  };
  if (dirs.some(busy)) return false;
  for (const dir of dirs) {
    try {
      rmdirSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return false;
    }
  }
  return true;
}
