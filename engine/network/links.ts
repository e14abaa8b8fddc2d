// A network device as iproute2 reports it. Asked of `ip`, not /sys/class/net: sysfs shows the
// devices of the namespace that mounted it, which is not this process's when the daemon runs in a
// network namespace of its own.
import { execFile } from 'node:child_process';

/** The device's MAC and IPv4 addresses (CIDR, e.g. "10.213.0.1/16"), or undefined when there is no such device. */
export async function deviceState(dev: string): Promise<{ mac: string; addresses: string[] } | undefined> {
  const out = await new Promise<string | undefined>((resolve, reject) =>
    execFile('ip', ['-j', 'addr', 'show', 'dev', dev], { encoding: 'utf8' }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      if (/does not exist|Cannot find device/i.test(stderr)) return resolve(undefined);
      reject(new Error(stderr.trim() || err.message));
    }),
  );
  if (out === undefined) return undefined;
  const [link] = JSON.parse(out || '[]') as Array<{ address?: string; addr_info?: Array<{ family: string; local: string; prefixlen: number }> }>;
  return { mac: link?.address ?? '', addresses: (link?.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`) };
}
