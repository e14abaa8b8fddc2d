// The networks a Container joins, in one place. A spec names them either the old way — `network`
// (one name) with `networkAliases` — which stored objects and manifests written before keep using,
// or as `networks`, a list of attachments with per-network aliases (Docker's endpoints; what
// `network connect` writes). The first is the container's first interface (eth0), its way out and
// where its ports are published, as Docker's first network.
import { z } from 'zod';

/** `bridge` is Docker's name for the default network; berth's is `berth`. Both name the same one. */
export const DEFAULT_NETWORK = 'berth';

export function canonicalNetwork(name: string): string {
  return name === 'bridge' || name === '' ? DEFAULT_NETWORK : name;
}

/** Network modes that are not networks: no namespace of its own, or one with loopback only. */
export const NETWORK_MODES = ['host', 'none'] as const;

export const networkName = z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/, 'must be bridge, host, none or a network name (letters, digits, "_", "." or "-")');
export const hostName = z.string().regex(/^[a-zA-Z0-9]([a-zA-Z0-9_.-]{0,251}[a-zA-Z0-9])?$/, 'must be a host name (letters, digits, "_", "." or "-")');

export const NetworkAttachmentSpec = z.strictObject({
  /** `bridge` (the default network), a network made with `berth network create`; or alone, `host` or `none`. */
  name: networkName,
  /** Other names the container answers to on this network (Docker's --alias of `network connect`). */
  aliases: z.array(hostName).optional(),
});
export type NetworkAttachmentSpec = z.infer<typeof NetworkAttachmentSpec>;

interface NetworkFields {
  network?: string | undefined;
  networkAliases?: string[] | undefined;
  networks?: NetworkAttachmentSpec[] | undefined;
}

/**
 * The spec's networks, first first: `networks`, else `network` with `networkAliases`, else the
 * default network (`bridge`). An empty `networks` is no network: `none` (loopback only).
 */
export function containerNetworks(spec: NetworkFields): NetworkAttachmentSpec[] {
  if (spec.networks) return spec.networks.length ? spec.networks : [{ name: 'none' }];
  return [{ name: spec.network ?? 'bridge', ...(spec.networkAliases?.length ? { aliases: spec.networkAliases } : {}) }];
}

/** The first network (or the mode: host, none). */
export function firstNetwork(spec: NetworkFields): string {
  return containerNetworks(spec)[0]!.name;
}

/** The spec with its networks as a `networks` list (the old fields dropped): what connect and disconnect change. */
export function withNetworks<S extends NetworkFields>(spec: S, networks: NetworkAttachmentSpec[]): S {
  const { network: _n, networkAliases: _a, ...rest } = spec;
  return { ...rest, networks } as S;
}

/** What is wrong in the spec's network fields, with the path to point at. */
export function networkIssues(spec: NetworkFields): Array<{ path: Array<string | number>; message: string }> {
  const out: Array<{ path: Array<string | number>; message: string }> = [];
  if (!spec.networks) return out;
  if (spec.network !== undefined || spec.networkAliases !== undefined) {
    out.push({ path: ['networks'], message: 'give the networks either as networks (a list, each with its aliases) or as network with networkAliases, not both' });
  }
  const seen = new Set<string>();
  spec.networks.forEach((n, i) => {
    if ((NETWORK_MODES as readonly string[]).includes(n.name) && spec.networks!.length > 1) {
      out.push({ path: ['networks', i, 'name'], message: `network "${n.name}" is a mode of its own: it cannot be combined with other networks` });
    }
    if (seen.has(canonicalNetwork(n.name))) out.push({ path: ['networks', i, 'name'], message: `network "${n.name}" is listed twice` });
    seen.add(canonicalNetwork(n.name));
  });
  return out;
}
