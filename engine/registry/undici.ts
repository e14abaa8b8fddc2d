// undici, loaded on the first registry request rather than when the daemon starts: it is the
// largest package the daemon holds (6 MiB of heap, and Node's tls, https and http2 behind it), and a
// daemon whose images are all present never talks to a registry.
import type * as Undici from 'undici';

let loaded: Promise<typeof Undici> | undefined;

export function undici(): Promise<typeof Undici> {
  return (loaded ??= import('undici'));
}
