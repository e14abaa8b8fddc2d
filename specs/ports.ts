// Published ports as people write them: Docker's `-p [IP:][HOSTPORT:]CONTAINERPORT[/proto]`, and
// the `0.0.0.0:8080->80/tcp` form `ps` and `port` print. Shared by the CLI and the engine.
import { isIPv4, isIPv6 } from 'node:net';
import { InvalidArgumentError } from './errdefs.ts';
import type { PortMapping } from './api/common.ts';

const PORT = /^\d{1,5}$/;

function portNumber(text: string, what: string, spec: string): number {
  const n = Number(text);
  if (!PORT.test(text) || n < 1 || n > 65535) throw new InvalidArgumentError(`-p "${spec}": ${what} "${text}" is not a port number (1-65535)`);
  return n;
}

/**
 * Docker's `-p` value: `[IP:][HOSTPORT:]CONTAINERPORT[/tcp|udp]`, IPv6 host addresses in
 * brackets (`[::1]:8080:80`). Without HOSTPORT the port is declared but not published (the
 * Kubernetes meaning of a containerPort alone).
 */
export function parsePublish(spec: string): PortMapping {
  let rest = spec.trim();
  let protocol: PortMapping['protocol'] = 'TCP';
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    const p = rest.slice(slash + 1).toLowerCase();
    if (p !== 'tcp' && p !== 'udp') throw new InvalidArgumentError(`-p "${spec}": protocol "${p}" must be tcp or udp`);
    protocol = p === 'udp' ? 'UDP' : 'TCP';
    rest = rest.slice(0, slash);
  }
  let hostIP: string | undefined;
  const v6 = /^\[([^\]]+)\]:(.*)$/.exec(rest);
  if (v6) {
    hostIP = v6[1]!;
    rest = v6[2]!;
    if (!isIPv6(hostIP)) throw new InvalidArgumentError(`-p "${spec}": "${hostIP}" is not an IPv6 address`);
  }
  const parts = rest.split(':');
  if (parts.length > 3 || (hostIP !== undefined && parts.length !== 2) || parts.some((p, i) => p === '' && !(parts.length === 3 && i === 1))) {
    throw new InvalidArgumentError(`-p "${spec}" is not [IP:]HOSTPORT:CONTAINERPORT[/tcp|udp] (e.g. 8080:80, 127.0.0.1:8080:80/udp)`);
  }
  if (parts.length === 3) {
    hostIP = parts[0]!;
    if (!isIPv4(hostIP)) throw new InvalidArgumentError(`-p "${spec}": "${hostIP}" is not an IPv4 address (write IPv6 as [addr])`);
  }
  const containerPort = portNumber(parts[parts.length - 1]!, 'container port', spec);
  const hostText = parts.length >= 2 ? parts[parts.length - 2]! : '';
  return {
    containerPort,
    ...(hostText ? { hostPort: portNumber(hostText, 'host port', spec) } : {}),
    ...(hostIP ? { hostIP } : {}),
    protocol,
  };
}

/** `0.0.0.0:8080->80/tcp`, as `docker ps` and `docker port` print it. */
export function formatPort(p: PortMapping): string {
  const host = p.hostPort ? `${p.hostIP && isIPv6(p.hostIP) ? `[${p.hostIP}]` : (p.hostIP ?? '0.0.0.0')}:${p.hostPort}->` : '';
  return `${host}${p.containerPort}/${p.protocol.toLowerCase()}`;
}

