// A network device as iproute2 reports it. Asked of `ip`, not /sys/class/net: sysfs shows the
// devices of the namespace that mounted it, which is not this process's when the daemon runs in a
// network namespace of its own.
import { runCommand, type CommandFailure } from '../spawner.ts';

/** The device's MAC and IPv4 addresses (CIDR, e.g. "10.213.0.1/16"), or undefined when there is no such device. */
export async function deviceState(dev: string): Promise<{ mac: string; addresses: string[] } | undefined> {
  // Through berth-spawner, as the daemon's other commands: a spawn from the daemon forks all of it.
  const out = await runCommand('ip', ['-j', 'addr', 'show', 'dev', dev]).then(
    (r) => r.stdout,
    (err: CommandFailure) => {
      if (/does not exist|Cannot find device/i.test(err.stderr ?? '')) return undefined;
      throw new Error(err.stderr?.trim() || err.message);
    },
  );
  if (out === undefined) return undefined;
  const [link] = JSON.parse(out || '[]') as Array<{ address?: string; addr_info?: Array<{ family: string; local: string; prefixlen: number }> }>;
  return { mac: link?.address ?? '', addresses: (link?.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`) };
}
