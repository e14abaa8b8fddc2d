// Printing shared by every verb: aligned tables for people, stable JSON (and YAML) for scripts.
import { InvalidArgumentError } from '../specs/errdefs.ts';

export type OutputFormat = 'table' | 'wide' | 'json' | 'yaml' | 'name';

/** Parses -o; `allowed` lists what the verb supports (table is the default, written as no -o). */
export function parseFormat(value: string | undefined, allowed: OutputFormat[] = ['table', 'wide', 'json', 'yaml', 'name']): OutputFormat {
  const f = (value ?? 'table') as OutputFormat;
  if (!allowed.includes(f)) {
    throw new InvalidArgumentError(`unknown output format "${value}"; use one of: ${allowed.filter((a) => a !== 'table').join(', ')}`);
  }
  return f;
}

/** Columns separated by three spaces and padded to the widest cell, like kubectl. */
export function formatTable(headers: string[], rows: Array<Array<string | number | undefined>>): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === undefined || c === '' ? '<none>' : String(c))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('   ').trimEnd()).join('\n') + '\n';
}

export function printTable(headers: string[], rows: Array<Array<string | number | undefined>>): void {
  process.stdout.write(formatTable(headers, rows));
}

/** JSON with two-space indent; stable (callers pass objects with a fixed key order). */
export function formatJson(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}

export async function formatYaml(value: unknown): Promise<string> {
  const { stringify } = await import('yaml');
  return stringify(value, { lineWidth: 0 });
}

/** Prints data as json or yaml; tables are the verb's own (via printTable). */
export async function printData(format: 'json' | 'yaml', value: unknown): Promise<void> {
  process.stdout.write(format === 'json' ? formatJson(value) : await formatYaml(value));
}

/** Kubernetes-style age: 42s, 5m, 3h, 12d. */
export function age(iso: string | undefined, now: Date = new Date()): string {
  if (!iso) return '<unknown>';
  const s = Math.max(0, Math.floor((now.getTime() - new Date(iso).getTime()) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 120 * 60) return `${Math.floor(s / 60)}m`;
  if (s < 48 * 3600) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** JSON as the docker CLI prints it (inspect): four-space indent, and <, >, & escaped as Go's encoder does. */
export function formatDockerJson(value: unknown): string {
  return JSON.stringify(value, null, 4).replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`) + '\n';
}

export { humanDuration } from '../specs/docker/ps.ts';

/** go-units' HumanSizeWithPrecision(size, 3), as Docker prints image sizes: "4.26MB", "123kB". */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  let n = bytes;
  while (n >= 1000 && i < units.length - 1) (n /= 1000), i++;
  return `${Number(n.toPrecision(3))}${units[i]}`;
}
