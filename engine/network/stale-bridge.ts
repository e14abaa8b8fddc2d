// A network's bridge left with another address: by a berth on another data root in the same network
// namespace, or made for a subnet the network no longer has. The CNI bridge plugin then refuses every
// container ("berth0 already has an IP address different from 10.214.0.1/16"). Checked once per
// bridge before its first ADD: an unused stale bridge is deleted (the plugin makes it again with the
// network's address); one that still has interfaces attached is reported with what to do.
import { runCommand } from '../spawner.ts';
import { FailedPreconditionError } from '../../specs/errdefs.ts';
import type { BerthConfList } from './config.ts';
import { deviceState } from './links.ts';

// Through berth-spawner, as the daemon's other commands: a spawn from the daemon forks all of it.
const run = runCommand;

export async function clearStaleBridge(list: BerthConfList, log?: (message: string) => void): Promise<void> {
  const { bridge, subnet, gateway } = list.berth;
  const want = `${gateway}/${subnet.split('/')[1]}`;
  const have = (await deviceState(bridge))?.addresses;
  if (!have || have.length === 0 || have.includes(want)) return;
  // Asked of `ip`, not /sys/class/net (links.ts).
  const ports = JSON.parse((await run('ip', ['-j', 'link', 'show', 'master', bridge])).stdout || '[]') as Array<{ ifname: string }>;
  const attached = ports.map((p) => p.ifname);
  if (attached.length > 0) {
    throw new FailedPreconditionError(
      `the bridge ${bridge} of network "${list.name}" has address ${have.join(', ')}, not ${want}: it was made by another berth (another data root) or for an earlier subnet, ` +
        `and ${attached.join(', ')} ${attached.length === 1 ? 'is' : 'are'} still attached to it. Stop the containers that use it (or delete it: \`ip link del ${bridge}\`), then start this container again`,
    );
  }
  await run('ip', ['link', 'del', bridge]);
  log?.(`deleted bridge ${bridge}: it had address ${have.join(', ')} (stale), network "${list.name}" is ${subnet}`);
}
