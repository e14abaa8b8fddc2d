// A container's network as the engine sets it up: the mode its spec asks for, the ports it
// publishes, its attachment through the NetworkPort (CNI; the host's network needs none), and the
// /etc files bind-mounted into it (/etc/hostname always; /etc/hosts and /etc/resolv.conf the
// network's, or copies of the host's with the host's network).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BundleOptions } from './bundle.ts';
import type { NetworkAttachment, NetworkPort } from './deps.ts';
import type { CreateRequest } from './engine.ts';
import { writeFileAtomic } from './fs-atomic.ts';
import { FailedPreconditionError } from '../specs/errdefs.ts';
import type { PortMapping } from '../specs/api/common.ts';

/**
 * The spec's network, or the default network (`bridge`, as Docker's default and Kubernetes' pod
 * network): a namespace of its own for every container; the host's only when asked for.
 */
export function networkMode(spec: CreateRequest['spec']): string {
  return spec.network ?? 'bridge';
}

/** The spec's ports as the network part takes them. */
export function portMappings(spec: CreateRequest['spec']): PortMapping[] {
  return (spec.ports ?? []).map((p) => ({
    containerPort: p.containerPort,
    ...(p.hostPort !== undefined ? { hostPort: p.hostPort } : {}),
    ...(p.hostIP !== undefined ? { hostIP: p.hostIP } : {}),
    protocol: p.protocol,
  }));
}

/** Attaches the container unless it uses the host's network; a network without a NetworkPort is an error. */
export async function attachNetwork(port: NetworkPort | undefined, id: string, o: { mode: string; name: string; ports: PortMapping[] }): Promise<NetworkAttachment> {
  if (o.mode === 'host') return {};
  if (!port) throw new FailedPreconditionError(`container "${o.name}": network "${o.mode}" needs the network manager, which this daemon does not have`);
  return port.attach(id, { network: o.mode, name: o.name, ports: o.ports });
}

/** Writes the container's /etc files into its directory `dir` (those the network does not provide). */
export async function writeEtcFiles(dir: string, hostname: string, net: NetworkAttachment): Promise<BundleOptions['etcFiles']> {
  const hostnameFile = join(dir, 'hostname');
  await writeFileAtomic(hostnameFile, `${hostname}\n`);
  let hosts = net.hostsFile;
  let resolvConf = net.resolvConfFile;
  if (!net.netnsPath) {
    // The host's network: the host's name service files, copied so the container cannot edit them.
    hosts = join(dir, 'hosts');
    resolvConf = join(dir, 'resolv.conf');
    await writeFileAtomic(hosts, await readFile('/etc/hosts', 'utf8').catch(() => '127.0.0.1\tlocalhost\n::1\tlocalhost\n'));
    await writeFileAtomic(resolvConf, await readFile('/etc/resolv.conf', 'utf8').catch(() => ''));
  }
  return { hostname: hostnameFile, ...(hosts ? { hosts } : {}), ...(resolvConf ? { resolvConf } : {}) };
}
