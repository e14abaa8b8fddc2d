// `docker inspect`'s NetworkSettings.Networks: one entry per network of the container, first first,
// with its address there (the engine's, once the container exists; the spec's names before) and
// the names it answers to there, as dockerd lists them.
import type { DockerEndpoint } from '../api/docker.ts';
import type { ContainerNetwork } from '../api/containers.ts';
import { canonicalNetwork, containerNetworks, firstNetwork } from '../networks.ts';
import type { ContainerSpec } from '../schema.ts';

/**
 * The names a container answers to on a network, as dockerd lists them: on a user-defined network
 * the aliases it was given, its name and its short id (docker-compose checks for the id to know the
 * container is already connected); none on host and none; on the default bridge, its name and aliases.
 */
function networkAliases(network: string, name: string, id: string | undefined, aliases: string[] = []): string[] | null {
  if (network === 'host' || network === 'none') return null;
  return canonicalNetwork(network) === canonicalNetwork('bridge') || !id ? [name, ...aliases] : [...aliases, name, id.slice(0, 12)];
}

/** HostConfig.NetworkMode and NetworkSettings.Networks of a container. */
export function dockerNetworks(spec: ContainerSpec, name: string, id: string | undefined, live: ContainerNetwork[] | undefined): { mode: string; networks: Record<string, DockerEndpoint> } {
  const mode = firstNetwork(spec);
  // Every network disconnected: none listed (NetworkMode stays what it was made with, as dockerd's).
  const wanted = spec.networks?.length === 0 ? [] : containerNetworks(spec);
  const networks: Record<string, DockerEndpoint> = {};
  for (const n of wanted) {
    const seen = live?.find((l) => canonicalNetwork(l.name) === canonicalNetwork(n.name));
    networks[n.name] = {
      IPAMConfig: null, Links: null, Aliases: networkAliases(n.name, name, id, n.aliases), NetworkID: '', EndpointID: '',
      Gateway: '', IPAddress: seen?.ipAddress ?? '', IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, MacAddress: '', DriverOpts: null,
    };
  }
  return { mode, networks };
}
