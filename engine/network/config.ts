// A berth network as a CNI network configuration list: bridge (a Linux bridge per network, veth
// per container, host-local IPAM), portmap (published ports, with snat for 127.0.0.1). Masquerade
// and FORWARD rules are the network's, made once (forwarding.ts), not per container as the bridge
// plugin's ipMasq and the firewall plugin would. The list is the network's whole definition and is
// what DEL is run with (lists written before kept ipMasq and firewall: they still work).
import { createHash } from 'node:crypto';
import { InvalidArgumentError } from '../../specs/errdefs.ts';
import type { CniConfList } from './cni.ts';
import type { NetworkInfo } from '../../specs/api/networks.ts';

import { canonicalNetwork, DEFAULT_NETWORK, NETWORK_MODES as MODES } from '../../specs/networks.ts';
import { isoTime } from '../../specs/timestamps.ts';

export { canonicalNetwork, DEFAULT_NETWORK };
export const CNI_VERSION = '1.0.0';

/** What berth keeps next to the plugins in the conflist (CNI ignores unknown keys). */
export interface BerthConfList extends CniConfList {
  berth: { bridge: string; subnet: string; gateway: string; createdAt: string; labels: Record<string, string> };
}

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;

export function isNetworkName(name: string): boolean {
  return NAME.test(name);
}

export function validateNetworkName(name: string): void {
  if (!NAME.test(name)) throw new InvalidArgumentError(`network name "${name}" must be 1-63 letters, digits, "_", "." or "-", starting with a letter or digit`);
  if ((MODES as readonly string[]).includes(name) || name === 'bridge') {
    throw new InvalidArgumentError(`network name "${name}" is reserved (host, none and bridge are network modes)`);
  }
}

/** Bridge device names are at most 15 bytes: berth0 for the default network, br-<hash> for others. */
export function bridgeName(network: string): string {
  if (network === DEFAULT_NETWORK) return 'berth0';
  return `br-${createHash('sha256').update(network).digest('hex').slice(0, 12)}`;
}

// ---- IPv4 subnets ----

export interface Cidr {
  base: number;
  prefix: number;
}

export function ipToInt(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function parseCidr(text: string): Cidr {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(text.trim());
  const ip = m ? ipToInt(m[1]!) : undefined;
  const prefix = m ? Number(m[2]) : NaN;
  if (ip === undefined || !(prefix >= 8 && prefix <= 30)) {
    throw new InvalidArgumentError(`subnet "${text}" must be an IPv4 network in CIDR form with a prefix of 8 to 30 bits (e.g. 10.90.0.0/24)`);
  }
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  if ((ip & mask) >>> 0 !== ip) {
    throw new InvalidArgumentError(`subnet "${text}" has host bits set; did you mean ${intToIp((ip & mask) >>> 0)}/${prefix}?`);
  }
  return { base: ip, prefix };
}

export function formatCidr(c: Cidr): string {
  return `${intToIp(c.base)}/${c.prefix}`;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  const p = Math.min(a.prefix, b.prefix);
  const mask = p === 0 ? 0 : (0xffffffff << (32 - p)) >>> 0;
  return ((a.base & mask) >>> 0) === ((b.base & mask) >>> 0);
}

/** IPv4 routes of this network namespace (/proc/net/route; little-endian hex), the default route left out. */
export function parseRoutes(text: string): Cidr[] {
  const out: Cidr[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const le = (h: string) => {
      const n = parseInt(h, 16);
      return (((n & 255) << 24) | (((n >>> 8) & 255) << 16) | (((n >>> 16) & 255) << 8) | (n >>> 24)) >>> 0;
    };
    const dst = le(f[1]!);
    const mask = le(f[7]!);
    if (mask === 0) continue;
    let prefix = 0;
    for (let m = mask; m; m = (m << 1) >>> 0) prefix++;
    out.push({ base: (dst & mask) >>> 0, prefix });
  }
  return out;
}

/**
 * The pool automatic subnets come from: 10.213.0.0/16, 10.214.0.0/16, … 10.254.0.0/16 — private
 * (RFC 1918) and away from the ranges others default to (Docker 172.17+/16, Podman 10.88/16,
 * Kubernetes pods 10.244/16, services 10.96/12), so collisions with a host's own are unlikely.
 */
export function pickSubnet(taken: Cidr[]): Cidr | undefined {
  for (let second = 213; second <= 254; second++) {
    const c: Cidr = { base: ((10 << 24) | (second << 16)) >>> 0, prefix: 16 };
    if (!taken.some((t) => overlaps(t, c))) return c;
  }
  return undefined;
}

export function gatewayOf(c: Cidr): string {
  return intToIp(c.base + 1);
}

export function networkConfList(o: { name: string; subnet: Cidr; labels?: Record<string, string> }): BerthConfList {
  const bridge = bridgeName(o.name);
  const subnet = formatCidr(o.subnet);
  const gateway = gatewayOf(o.subnet);
  return {
    cniVersion: CNI_VERSION,
    name: o.name,
    plugins: [
      {
        type: 'bridge',
        bridge,
        isGateway: true,
        ipMasq: false,
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet, gateway }]],
          routes: [{ dst: '0.0.0.0/0' }],
          // dataDir is filled in per manager (it lives under the manager's root).
        },
      },
      { type: 'portmap', capabilities: { portMappings: true }, snat: true },
    ],
    berth: { bridge, subnet, gateway, createdAt: isoTime(), labels: o.labels ?? {} },
  };
}

export function networkInfo(list: BerthConfList): NetworkInfo {
  return { name: list.name, ...list.berth };
}
