// The CNI bridge plugin's ADD and DEL for berth's own bridge networks (config.ts writes them),
// done by the daemon instead of by two Go processes per container (bridge, which runs host-local):
// those two were most of a container's network set-up and tear-down (~100 ms each on this host,
// against ~20 ms for the two iproute2 runs below). The result is the plugin's, to the field —
// the same bridge, veth pair, address, routes and lease files (leases.ts) — so the attachment
// records, /etc/hosts, port mapping (portmap, still a plugin, chained after this) and DEL of a
// record the plugin made all work unchanged, and the plugin can take over at any time
// (NetworkManager's `bridge: 'plugin'`). Written by hand because no library does this: what it
// replaces is a plugin process, and iproute2 is the netlink client already on every such host.
import { runCommand, type CommandFailure } from '../spawner.ts';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UnavailableError } from '../../specs/errdefs.ts';
import { CniError, type CniConfList, type CniPluginConf, type CniResult, type CniRuntime, type InProcessPlugin } from './cni.ts';
import { Leases, type LeaseRange } from './leases.ts';
import { deviceState } from './links.ts';

interface BridgeConf extends CniPluginConf {
  bridge: string;
  isGateway?: boolean;
  ipMasq?: boolean;
  hairpinMode?: boolean;
  mtu?: number;
  ipam: { type: string; ranges: LeaseRange[][]; routes?: Array<{ dst: string; gw?: string }>; dataDir?: string };
}

/** Plugin configurations this file does exactly as the plugin would: berth's own (config.ts). */
function isBerthBridge(plugin: CniPluginConf): plugin is BridgeConf {
  const ipam = plugin.ipam as BridgeConf['ipam'] | undefined;
  return (
    plugin.type === 'bridge' &&
    typeof plugin.bridge === 'string' &&
    plugin.ipMasq !== true &&
    ipam?.type === 'host-local' &&
    typeof ipam.dataDir === 'string' &&
    Array.isArray(ipam.ranges) &&
    ipam.ranges.length === 1 &&
    ipam.ranges[0]!.length === 1 &&
    typeof ipam.ranges[0]![0]!.subnet === 'string' &&
    typeof ipam.ranges[0]![0]!.gateway === 'string'
  );
}

interface IpBatch {
  lines: string[];
  /** Run inside the network namespace at this path (through nsenter). */
  netns?: string;
}

/**
 * `ip -batch -` runs, one after the other, stopping at the first that fails — all from one /bin/sh
 * the daemon spawns: a spawn from the daemon copies its whole address space (tens of MiB), a fork
 * from the shell does not. The batches and paths are the shell's arguments, never its script.
 */
function ipBatch(...steps: IpBatch[]): Promise<void> {
  const arg = (n: number) => `"\${${n}}"`;
  const script = steps.map((b, i) => `printf '%s\\n' ${arg(2 * i + 1)} | ${b.netns ? `nsenter --net=${arg(2 * i + 2)} ` : ''}ip -batch -`).join(' && ');
  const args = steps.flatMap((b) => [b.lines.join('\n'), b.netns ?? '']);
  return runCommand('/bin/sh', ['-c', script, 'sh', ...args]).then(
    () => undefined,
    (err: CommandFailure) => {
      const stderr = err.stderr ?? '';
      if (/not found/.test(stderr)) throw new UnavailableError(`ip or nsenter is not installed (they come with iproute2 / util-linux): ${stderr.trim()}`);
      throw new Error(stderr.trim() || err.message);
    },
  );
}

/** A locally administered unicast MAC, as the kernel would pick for a veth. */
function randomMac(): string {
  const b = randomBytes(6);
  b[0] = (b[0]! & 0xfe) | 0x02;
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

export class NativeBridge implements InProcessPlugin {
  /** Bridges looked at (and made or repaired) by this process: bridge|gateway → its MAC. */
  readonly #bridges = new Map<string, Promise<string>>();

  /**
   * The bridge with the gateway's address, up, and forwarding on (the plugin's isGateway); its MAC.
   * Looked at once per process (ADDs of many containers would otherwise queue on it); one that went
   * away meanwhile (`ip link del`) is made again by add()'s retry, `network rm` calls forget().
   */
  #ensureBridge(conf: BridgeConf, gateway: string): Promise<string> {
    const key = `${conf.bridge}|${gateway}`;
    let mac = this.#bridges.get(key);
    if (!mac) {
      mac = this.#lookAtBridge(conf, gateway);
      this.#bridges.set(key, mac);
      mac.catch(() => this.#bridges.get(key) === mac && this.#bridges.delete(key));
    }
    return mac;
  }

  /** The bridge is gone or changed: the next ADD looks at it again. */
  forget(bridge: string): void {
    for (const key of [...this.#bridges.keys()]) if (key.startsWith(`${bridge}|`)) this.#bridges.delete(key);
  }

  async #lookAtBridge(conf: BridgeConf, gateway: string): Promise<string> {
    const br = conf.bridge;
    let state = await deviceState(br);
    if (state?.addresses.includes(gateway)) {
      // Pinned, so that it stays what the results record (one made by the plugin follows its ports').
      await ipBatch({ lines: [`link set dev ${br} address ${state.mac}`] });
      return state.mac;
    }
    // The plugin's own words: a bridge with another address is a different network's.
    if (state?.addresses.length) throw new CniError('bridge', 'ADD', 11, `failed to set bridge addr: "${br}" already has an IP address different from ${gateway}`);
    if (!state) {
      // A MAC of its own: a bridge otherwise takes its lowest port's, which changes as members come
      // and go (and the plugin's CHECK compares it with the one recorded at ADD).
      await ipBatch({ lines: [`link add name ${br} address ${randomMac()} type bridge`] }).catch((err: Error) => {
        if (!/File exists/.test(err.message)) throw err;
      });
    }
    await ipBatch({ lines: [`addr add ${gateway} dev ${br}`, `link set ${br} up`] }).catch((err: Error) => {
      // Another ADD set it up meanwhile.
      if (!/File exists/.test(err.message)) throw err;
    });
    if (conf.isGateway) await writeFile('/proc/sys/net/ipv4/ip_forward', '1').catch(() => undefined);
    state = await deviceState(br);
    return state?.mac ?? '';
  }

  handles(plugin: CniPluginConf): boolean {
    return isBerthBridge(plugin);
  }

  async add(list: CniConfList, plugin: CniPluginConf, rt: CniRuntime): Promise<CniResult> {
    const conf = plugin as BridgeConf;
    const range = conf.ipam.ranges[0]![0]!;
    const prefix = range.subnet.split('/')[1]!;
    const gateway = `${range.gateway}/${prefix}`;
    let bridgeMac = await this.#ensureBridge(conf, gateway);
    const leases = new Leases(join(conf.ipam.dataDir!, list.name));
    const ip = await leases.reserve(rt.containerId, rt.ifName, range);
    const hostIf = `veth${randomBytes(4).toString('hex')}`;
    const [innerMac, hostMac] = [randomMac(), randomMac()];
    const routes = conf.ipam.routes ?? [];
    try {
      const containerSide = {
        // Made inside the container's namespace, its peer put straight into the daemon's.
        lines: [
          `link add ${rt.ifName} address ${innerMac}${conf.mtu ? ` mtu ${conf.mtu}` : ''} type veth peer name ${hostIf} address ${hostMac} netns ${process.pid}`,
          `addr add ${ip}/${prefix} dev ${rt.ifName}`,
          `link set ${rt.ifName} up`,
          ...routes.map((r) => `route add ${r.dst === '0.0.0.0/0' ? 'default' : r.dst} via ${r.gw ?? range.gateway} dev ${rt.ifName}`),
        ],
        netns: rt.netns,
      };
      const hostSide = { lines: [`link set ${hostIf} master ${conf.bridge}`, ...(conf.hairpinMode ? [`link set dev ${hostIf} type bridge_slave hairpin on`] : []), `link set ${hostIf} up`] };
      await ipBatch(containerSide, hostSide).catch(async (err: Error) => {
        // The bridge went away since it was looked at: made again, then the host side once more.
        if (!new RegExp(`"${conf.bridge}"|Cannot find device "?${conf.bridge}`).test(err.message)) throw err;
        this.forget(conf.bridge);
        bridgeMac = await this.#ensureBridge(conf, gateway);
        await ipBatch(hostSide);
      });
    } catch (err) {
      await ipBatch({ lines: [`link del ${hostIf}`] }).catch(() => undefined);
      await leases.release(rt.containerId, rt.ifName, ip);
      throw new CniError('bridge', 'ADD', undefined, (err as Error).message);
    }
    return {
      cniVersion: list.cniVersion,
      interfaces: [
        { name: conf.bridge, mac: bridgeMac },
        { name: hostIf, mac: hostMac },
        { name: rt.ifName, mac: innerMac, sandbox: rt.netns },
      ],
      ips: [{ interface: 2, address: `${ip}/${prefix}`, gateway: range.gateway }],
      routes,
      dns: {},
    };
  }

  /**
   * Removes the veth pair (through its host end, named in the ADD result; else from inside the
   * namespace) and releases the lease. Idempotent, as CNI DEL must be.
   */
  async del(list: CniConfList, plugin: CniPluginConf, rt: CniRuntime, cached: CniResult | undefined): Promise<void> {
    const conf = plugin as BridgeConf;
    const hostIf = cached?.interfaces?.find((i, k) => k === 1 && !i.sandbox)?.name;
    const gone = (err: Error) => {
      if (!/Cannot find device|does not exist|No such file/i.test(err.message)) throw new CniError('bridge', 'DEL', undefined, err.message);
    };
    if (hostIf && /^[a-zA-Z0-9_.-]{1,15}$/.test(hostIf)) await ipBatch({ lines: [`link del ${hostIf}`] }).catch(gone);
    else if (rt.netns) await ipBatch({ lines: [`link del ${rt.ifName}`], netns: rt.netns }).catch(gone);
    const ip = cached?.ips?.[0]?.address.split('/')[0];
    await new Leases(join(conf.ipam.dataDir!, list.name)).release(rt.containerId, rt.ifName, ip);
  }
}
