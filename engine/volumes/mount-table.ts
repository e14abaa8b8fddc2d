// The host's mounts as the kernel lists them (/proc/self/mountinfo), and mount(8)/umount(8) with
// their errors shown as they are: how the local volume driver mounts a volume's device and how a
// volume is checked to be unmounted before its directory is deleted.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Every mount point of this mount namespace. */
export async function mountPoints(): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  return text
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m): m is string => !!m)
    .map(unescape);
}

export async function isMountPoint(path: string): Promise<boolean> {
  return (await mountPoints()).includes(path);
}

/** Whether anything is mounted at path or below it. */
export async function hasMountsUnder(path: string): Promise<boolean> {
  return (await mountPoints()).some((m) => m === path || m.startsWith(`${path}/`));
}

/** Runs a mount tool; a failure is an Error carrying the tool's own words. */
export async function runTool(cmd: string, args: string[]): Promise<void> {
  try {
    await exec(cmd, args);
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')}: ${(e.stderr ?? '').trim() || e.message}`, { cause: err });
  }
}
