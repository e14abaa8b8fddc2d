// Many iptables changes in one process: `iptables-restore --noflush` applies a batch of rule
// commands to one table as one transaction (all or none), where `iptables` would take a process per
// rule — each one reading the whole ruleset (~15–30 ms here under nf_tables). The batch goes in a
// file, because commands are run through berth-spawner, which gives them no stdin.
import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnavailableError } from '../../specs/errdefs.ts';
import { commandErrorText } from '../command-error.ts';
import { runCommand } from '../spawner.ts';

/** One argument in iptables-restore's syntax: quoted when it holds a space or a quote. */
function restoreArg(a: string): string {
  // The parser knows \" inside quotes and nothing else; none of berth's rules needs more.
  if (/[\\\n\r]/.test(a)) throw new Error(`iptables argument ${JSON.stringify(a)} cannot be written to a restore batch`);
  return a !== '' && !/[\s"']/.test(a) ? a : `"${a.replace(/"/g, '\\"')}"`;
}

/** A command of a batch: its arguments, e.g. ['-A', 'CHAIN', '-p', 'tcp', …], or a line already in the
 *  restore syntax (one of iptables-save's). */
export type BatchLine = string[] | string;

/** The batch's text for `table`: the lines, then COMMIT. */
export function restoreText(table: string, lines: BatchLine[]): string {
  return [`*${table}`, ...lines.map((l) => (typeof l === 'string' ? l : l.map(restoreArg).join(' '))), 'COMMIT', ''].join('\n');
}

/** One run of an iptables tool: its stdout; its message when it fails, UnavailableError when it is missing. */
async function run(cmd: string, args: string[]): Promise<string> {
  try {
    return (await runCommand(cmd, args)).stdout;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new UnavailableError(`${cmd} is not installed (it comes with the iptables package)`);
    throw new Error(`${cmd} ${args.join(' ')}: ${commandErrorText(err)}`, { cause: err });
  }
}

/**
 * Applies `lines` to `table` in one transaction, leaving every other rule as it is. A chain
 * declared with `:NAME - [0:0]` is created, or emptied when it exists. Throws the tool's message
 * (e.g. a rule to delete that is not there) with nothing applied.
 */
export async function iptablesBatch(table: string, lines: BatchLine[]): Promise<void> {
  if (!lines.length) return;
  const file = join(tmpdir(), `berth-iptables-${process.pid}-${randomBytes(6).toString('hex')}`);
  await writeFile(file, restoreText(table, lines), { flag: 'wx', mode: 0o600 });
  try {
    await run('iptables-restore', ['-w', '--noflush', file]);
  } finally {
    await rm(file, { force: true });
  }
}

/** `iptables -t table <args>` (one process): its stdout. */
export function iptables(table: string, args: string[]): Promise<string> {
  return run('iptables', ['-w', '-t', table, ...args]);
}

/** The rules of `table` as `iptables-save` prints them (one process). */
export function iptablesSave(table: string): Promise<string> {
  return run('iptables-save', ['-t', table]);
}
