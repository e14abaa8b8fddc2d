// The text of a failed command (execFile, promisified or not) for an error message: what the
// program wrote to stderr when it wrote anything, else the error's own message (e.g. spawn ENOENT).
export function commandErrorText(err: unknown): string {
  const e = err as { stderr?: unknown; message?: unknown } | null | undefined;
  const stderr = typeof e?.stderr === 'string' ? e.stderr : Buffer.isBuffer(e?.stderr) ? e.stderr.toString('utf8') : '';
  return stderr.trim() || (typeof e?.message === 'string' ? e.message : String(err)).trim();
}
