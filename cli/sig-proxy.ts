// Docker's --sig-proxy (on by default for `run` and `attach` without a terminal): the signals this
// client receives go to the container's process (`kill -s`), instead of ending the client. Off
// (--sig-proxy=false), a signal ends only the client and the container runs on. With a terminal,
// ^C is a key typed to the process, not a signal here.
import { InvalidArgumentError } from '../specs/errdefs.ts';
import type { ApiClient } from './client.ts';

const PROXIED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const;

/** Docker's spelling: --sig-proxy, --sig-proxy=true|false (commander gives true or the text). */
export function sigProxyFlag(v: string | boolean | undefined): boolean {
  if (v === undefined || v === true || v === 'true' || v === '1') return true;
  if (v === false || v === 'false' || v === '0') return false;
  throw new InvalidArgumentError(`--sig-proxy "${String(v)}" must be true or false`);
}

/** Forwards the client's signals to the container named by `name()` (once known) until the returned function is called. */
export function proxySignals(client: ApiClient, name: () => string | undefined): () => void {
  const forward = (sig: NodeJS.Signals) => {
    const n = name();
    if (n) void client.json('POST', `/v1/containers/${encodeURIComponent(n)}/kill`, { query: { signal: sig } }).catch(() => undefined);
  };
  for (const s of PROXIED) process.on(s, forward);
  return () => {
    for (const s of PROXIED) process.off(s, forward);
  };
}
