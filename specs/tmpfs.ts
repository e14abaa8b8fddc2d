// tmpfs mount options as Docker's `--tmpfs /run:size=64m,exec` and a local volume's `o=` give them:
// which the kernel's tmpfs takes, and how a list with defaults first and the user's after merges
// (a later flag of a pair wins — "exec" after the default "noexec" — and a later key=value wins).
import { InvalidArgumentError } from './errdefs.ts';

/** Flags and their opposites; a flag replaces any earlier flag of its pair. */
const PAIRS: Array<[string, string]> = [
  ['ro', 'rw'],
  ['suid', 'nosuid'],
  ['dev', 'nodev'],
  ['exec', 'noexec'],
  ['sync', 'async'],
  ['atime', 'noatime'],
  ['diratime', 'nodiratime'],
  ['relatime', 'norelatime'],
  ['strictatime', 'nostrictatime'],
  ['mand', 'nomand'],
];
const FLAGS = new Map(PAIRS.flatMap(([a, b]) => [[a, a], [b, a]] as Array<[string, string]>));
FLAGS.set('dirsync', 'dirsync');

/** key=value options of tmpfs and what a value must look like. */
const DATA: Record<string, { re: RegExp; example: string }> = {
  size: { re: /^\d+[kmgKMG%]?$/, example: 'size=64m' },
  mode: { re: /^[0-7]{3,4}$/, example: 'mode=1777' },
  uid: { re: /^\d+$/, example: 'uid=1000' },
  gid: { re: /^\d+$/, example: 'gid=1000' },
  nr_inodes: { re: /^\d+[kmgKMG]?$/, example: 'nr_inodes=1k' },
  nr_blocks: { re: /^\d+[kmgKMG]?$/, example: 'nr_blocks=1k' },
  mpol: { re: /^(default|prefer:\d+|bind:[\d,-]+|interleave(:[\d,-]+)?|local)$/, example: 'mpol=default' },
  huge: { re: /^(never|always|within_size|advise)$/, example: 'huge=never' },
};

/** Throws an InvalidArgumentError naming the first option tmpfs does not take (`what` says where it came from). */
export function checkTmpfsOptions(options: string[], what: string): void {
  for (const o of options) {
    const eq = o.indexOf('=');
    if (eq < 0) {
      if (!FLAGS.has(o)) throw new InvalidArgumentError(`${what}: "${o}" is not a tmpfs mount option (flags: ${[...FLAGS.keys()].join(', ')}; values: ${Object.keys(DATA).join(', ')})`);
      continue;
    }
    const key = o.slice(0, eq);
    const rule = DATA[key];
    if (!rule) throw new InvalidArgumentError(`${what}: "${key}" is not a tmpfs mount option (values: ${Object.keys(DATA).join(', ')})`);
    if (!rule.re.test(o.slice(eq + 1))) throw new InvalidArgumentError(`${what}: "${o}" is not a valid value (e.g. ${rule.example})`);
  }
}

/** Defaults then overrides, each flag pair and each key kept once, the last one given winning. */
export function mergeTmpfsOptions(...lists: string[][]): string[] {
  const out = new Map<string, string>();
  for (const o of lists.flat()) {
    const eq = o.indexOf('=');
    const slot = eq >= 0 ? `=${o.slice(0, eq)}` : (FLAGS.get(o) ?? o);
    out.delete(slot); // re-inserted last: the order shows what was given last
    out.set(slot, o);
  }
  return [...out.values()];
}

/** A comma-separated option string ("size=64m,uid=1000") as a list, empty parts dropped. */
export function splitOptions(s: string | undefined): string[] {
  return (s ?? '').split(',').map((x) => x.trim()).filter(Boolean);
}
