// The guard that goes with portmap's 127.0.0.1 support. To DNAT the host's own 127.0.0.1
// connections to a container, portmap sets route_localnet=1 on the bridge, which also makes the
// host accept packets *arriving* on the bridge addressed to 127.0.0.0/8 — a container with
// CAP_NET_RAW could then reach services the host binds to 127.0.0.1 only (CVE-2020-8558, the
// same hole kube-proxy had). Like kube-proxy's fix, one rule per bridge drops such packets
// unless they belong to a connection the host made (replies to its DNATed connections).
import { runCommand } from '../spawner.ts';

// Through berth-spawner, as the daemon's other commands: a spawn from the daemon forks all of it.
const run = runCommand;

function rule(bridge: string): string[] {
  return [
    'INPUT', '-i', bridge, '-d', '127.0.0.0/8',
    '-m', 'conntrack', '!', '--ctstate', 'RELATED,ESTABLISHED,DNAT',
    '-m', 'comment', '--comment', `berth: no new connections to 127.0.0.0/8 from ${bridge}`,
    '-j', 'DROP',
  ];
}

async function present(bridge: string): Promise<boolean> {
  return run('iptables', ['-w', '-C', ...rule(bridge)]).then(() => true, () => false);
}

/** Adds the rule for `bridge` unless it is there (idempotent). */
export async function guardLocalnet(bridge: string): Promise<void> {
  if (!(await present(bridge))) await run('iptables', ['-w', '-I', ...rule(bridge)]);
}

/** Removes the rule of `bridge` (all copies; none is fine). */
export async function unguardLocalnet(bridge: string): Promise<void> {
  while (await present(bridge)) await run('iptables', ['-w', '-D', ...rule(bridge)]);
}
