// The NetworkManager as the narrow port BerthEngine uses (engine/deps.ts).
import type { NetworkPort } from '../deps.ts';
import type { NetworkManager } from './network-manager.ts';
import { totalNetworkStats } from './netns.ts';

export function networkPort(nets: NetworkManager): NetworkPort {
  return {
    attach: (id, o) => nets.attach(id, o),
    detach: (id) => nets.detach(id),
    setAliases: (id, aliases) => nets.setAliases(id, aliases),
    connect: (id, o) => nets.connect(id, o),
    disconnect: (id, network, o) => nets.disconnect(id, network, o),
    stats: async (id, pid) => totalNetworkStats(await nets.stats(id, pid)),
  };
}
