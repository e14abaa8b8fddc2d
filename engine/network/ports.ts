// Published ports: Docker's `-p` syntax, and the host side of a published port.
//
// How a published port reaches the container: the CNI portmap plugin's DNAT rules (PREROUTING for
// traffic from outside, OUTPUT for the host's own), not a userland proxy. portmap with `snat: true`
// also covers 127.0.0.1 on the host: it sets route_localnet on the bridge and masquerades
// 127.0.0.1-sourced connections, so `curl 127.0.0.1:8080` works as with Docker. Chosen over
// Docker's docker-proxy because it needs no process per port in the data path (so ports keep
// working while the daemon restarts, and cost no copy), keeps the client's source address for
// outside clients, and is what Kubernetes/containerd/Podman do.
//
// What iptables cannot do is tell that the port is taken: a DNAT rule silently shadows a process
// listening on the port. So before ADD, berth binds each host port itself (a clear ConflictError
// when that fails) and keeps the socket open while the container is attached, as the kubelet's
// hostport manager does: a later program binding the port then fails instead of being shadowed.
import { createSocket, type Socket } from 'node:dgram';
import { createServer, isIPv6, type Server } from 'node:net';
import { ConflictError, InvalidArgumentError } from '../../specs/errdefs.ts';
import type { PortMapping } from '../../specs/api/common.ts';

// The `-p` syntax and its printed form are part of the spec (specs/ports.ts): the CLI parses with
// them too, without reaching into the engine.
export { formatPort, parsePublish } from '../../specs/ports.ts';

/** The key two mappings collide on: same protocol and port, and overlapping addresses. */
export function portsCollide(a: PortMapping, b: PortMapping): boolean {
  if (!a.hostPort || a.hostPort !== b.hostPort || a.protocol !== b.protocol) return false;
  const any = (ip?: string) => !ip || ip === '0.0.0.0' || ip === '::';
  return any(a.hostIP) || any(b.hostIP) || a.hostIP === b.hostIP;
}

/** A host port the daemon holds; `hostPort` is the one bound (a free one when 0 was asked). */
export type HeldPort = { hostPort: number; close(): void };

function describe(p: PortMapping): string {
  return `${p.hostIP ?? '0.0.0.0'}:${p.hostPort}/${p.protocol.toLowerCase()}`;
}

/** Binds one host port and keeps it; ConflictError when something else has it. */
export async function holdPort(p: PortMapping, owner: string): Promise<HeldPort> {
  const host = p.hostIP ?? '0.0.0.0';
  const busy = (err: NodeJS.ErrnoException) =>
    err.code === 'EADDRINUSE'
      ? new ConflictError(`container "${owner}": host port ${describe(p)} is already in use on this host; free it or publish another host port`)
      : err.code === 'EADDRNOTAVAIL'
        ? new InvalidArgumentError(`container "${owner}": host address ${host} of port ${describe(p)} is not an address of this host`)
        : err;
  if (p.protocol === 'UDP') {
    const sock: Socket = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4' });
    await new Promise<void>((resolve, reject) => {
      sock.once('error', (e) => reject(busy(e as NodeJS.ErrnoException)));
      sock.bind({ port: p.hostPort!, address: host, exclusive: true }, () => resolve());
    });
    sock.removeAllListeners('error');
    sock.on('error', () => undefined);
    sock.unref();
    return { hostPort: sock.address().port, close: () => sock.close() };
  }
  const srv: Server = createServer((c) => c.destroy());
  await new Promise<void>((resolve, reject) => {
    srv.once('error', (e) => reject(busy(e as NodeJS.ErrnoException)));
    srv.listen({ port: p.hostPort!, host, exclusive: true, backlog: 1 }, () => resolve());
  });
  srv.removeAllListeners('error');
  srv.on('error', () => undefined);
  srv.unref();
  return { hostPort: (srv.address() as { port: number }).port, close: () => void srv.close() };
}

/** Holds every published port of a container (hostPort 0: a free one), all or none; `held[i]` is `ports[i]`'s. */
export async function holdPorts(ports: PortMapping[], owner: string): Promise<HeldPort[]> {
  const held: HeldPort[] = [];
  try {
    for (const p of ports) if (p.hostPort !== undefined) held.push(await holdPort(p, owner));
  } catch (err) {
    for (const h of held) h.close();
    throw err;
  }
  return held;
}

/** The portmap plugin's runtimeConfig.portMappings for the published ports (those with a hostPort). */
export function portmapEntries(ports: PortMapping[]): Array<{ hostPort: number; containerPort: number; protocol: string; hostIP?: string }> {
  return ports
    .filter((p) => p.hostPort)
    .map((p) => ({ hostPort: p.hostPort!, containerPort: p.containerPort, protocol: p.protocol.toLowerCase(), ...(p.hostIP ? { hostIP: p.hostIP } : {}) }));
}
