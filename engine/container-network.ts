// A container's network as the engine sets it up: the mode its spec asks for, the ports it
// publishes, its attachment through the NetworkPort (CNI; the host's network needs none), and the
// /etc files bind-mounted into it (/etc/hostname always; /etc/hosts and /etc/resolv.conf the
// network's, or copies of the host's with the host's network).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BundleOptions } from './bundle.ts';
import type { AttachRequest, NetworkAttachment, NetworkPort } from './deps.ts';
import type { CreateRequest } from './engine.ts';
import { writeFileUnpublished } from './fs-atomic.ts';
import { FailedPreconditionError } from '../specs/errdefs.ts';
import type { PortMapping } from '../specs/api/common.ts';
import { firstNetwork } from '../specs/networks.ts';

/**
 * The spec's (first) network, or the default network (`bridge`, as Docker's default and Kubernetes'
 * pod network): a namespace of its own for every container; the host's only when asked for.
 */
export function networkMode(spec: CreateRequest['spec']): string {
  return firstNetwork(spec);
}

/**
 * The spec's ports as the network part takes them; with publishAllPorts (-P), also every port the
 * image exposes ("80/tcp") that the spec does not publish, on a free host port (hostPort 0).
 */
export function portMappings(spec: CreateRequest['spec'], exposed: Record<string, unknown> = {}): PortMapping[] {
  const ports: PortMapping[] = (spec.ports ?? []).map((p) => ({
    containerPort: p.containerPort,
    ...(p.hostPort !== undefined ? { hostPort: p.hostPort } : {}),
    ...(p.hostIP !== undefined ? { hostIP: p.hostIP } : {}),
    protocol: p.protocol,
  }));
  if (!spec.publishAllPorts) return ports;
  for (const key of Object.keys(exposed)) {
    const m = /^(\d+)(?:\/(tcp|udp))?$/i.exec(key);
    if (!m) continue;
    const p: PortMapping = { containerPort: Number(m[1]), protocol: m[2]?.toLowerCase() === 'udp' ? 'UDP' : 'TCP' };
    const i = ports.findIndex((q) => q.containerPort === p.containerPort && q.protocol === p.protocol);
    if (i < 0) ports.push({ ...p, hostPort: 0 });
    else if (ports[i]!.hostPort === undefined) ports[i] = { ...ports[i]!, hostPort: 0 };
  }
  return ports;
}

/** Attaches the container unless it uses the host's network; a network without a NetworkPort is an error. */
export async function attachNetwork(port: NetworkPort | undefined, id: string, o: Omit<AttachRequest, 'network'> & { mode: string }): Promise<NetworkAttachment> {
  if (o.mode === 'host') return {};
  if (!port) throw new FailedPreconditionError(`container "${o.name}": network "${o.mode}" needs the network manager, which this daemon does not have`);
  const { mode, ...rest } = o;
  return port.attach(id, { network: mode, ...rest });
}

/**
 * Writes the container's /etc files into its directory `dir` (those the network does not provide),
 * at its create: the directory is not published yet (fs-atomic.ts writeFileUnpublished).
 */
export async function writeEtcFiles(dir: string, hostname: string, net: NetworkAttachment, extraHosts: AttachRequest['extraHosts'] = []): Promise<BundleOptions['etcFiles']> {
  const hostnameFile = join(dir, 'hostname');
  writeFileUnpublished(hostnameFile, `${hostname}\n`);
  let hosts = net.hostsFile;
  let resolvConf = net.resolvConfFile;
  if (!net.netnsPath) {
    // The host's network: the host's name service files, copied so the container cannot edit them.
    hosts = join(dir, 'hosts');
    resolvConf = join(dir, 'resolv.conf');
    const own = await readFile('/etc/hosts', 'utf8').catch(() => '127.0.0.1\tlocalhost\n::1\tlocalhost\n');
    writeFileUnpublished(hosts, own.replace(/\n?$/, '\n') + extraHosts.map((e) => `${e.ip}\t${e.names.join(' ')}\n`).join(''));
    writeFileUnpublished(resolvConf, await readFile('/etc/resolv.conf', 'utf8').catch(() => ''));
  }
  return { hostname: hostnameFile, ...(hosts ? { hosts } : {}), ...(resolvConf ? { resolvConf } : {}) };
}
