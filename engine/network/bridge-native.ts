// The CNI bridge plugin's ADD and DEL for berth's own bridge networks (config.ts writes them),
// done by the daemon instead of by two Go processes per container (bridge, which runs host-local):
// those two were most of a container's network set-up and tear-down (~100 ms each on this host).
// The veth, its address and routes are made by one berth-netns run (rtnetlink, netns-helper.ts),
// which replaced four programs (sh, nsenter, ip, ip). The result is the plugin's, to the field —
// the same bridge, veth pair, address, routes and lease files (leases.ts) — so the attachment
// records, /etc/hosts, port mapping (portmap-native.ts, chained after this) and DEL of a
// record the plugin made all work unchanged, and the plugin can take over at any time
// (NetworkManager's `bridge: 'plugin'`). Written by hand because no library does this: what it
// replaces is a plugin process.
import { runCommand, type CommandFailure } from '../spawner.ts';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UnavailableError } from '../../specs/errdefs.ts';
import { CniError, type CniConfList, type CniPluginConf, type CniResult, type CniRuntime, type InProcessPlugin } from './cni.ts';
import { Leases, type LeaseRange } from './leases.ts';
import { deviceState } from './links.ts';
import { netnsHelper, vethArgs } from './netns-helper.ts';

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

/**
 * `ip` commands on the bridge, in one `ip -batch` (once per bridge and process: the per-container
 * work is berth-netns's, netns-helper.ts), stopping at the first that fails.
 */
function ipBatch(lines: string[]): Promise<void> {
  return runCommand('/bin/sh', ['-c', `printf '%s\\n' "$1" | ip -batch -`, 'sh', lines.join('\n')]).then(
    () => undefined,
    (err: CommandFailure) => {
      const stderr = err.stderr ?? '';
      if (/not found/.test(stderr)) throw new UnavailableError(`ip is not installed (it comes with iproute2): ${stderr.trim()}`);
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
  /** Each network's leases, kept for the process (Leases remembers who holds what). */
  readonly #leases = new Map<string, Leases>();

  #leasesOf(dir: string): Leases {
    let l = this.#leases.get(dir);
    if (!l) this.#leases.set(dir, (l = new Leases(dir)));
    return l;
  }

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
      await ipBatch([`link set dev ${br} address ${state.mac}`]);
      return state.mac;
    }
    // The plugin's own words: a bridge with another address is a different network's.
    if (state?.addresses.length) throw new CniError('bridge', 'ADD', 11, `failed to set bridge addr: "${br}" already has an IP address different from ${gateway}`);
    if (!state) {
      // A MAC of its own: a bridge otherwise takes its lowest port's, which changes as members come
      // and go (and the plugin's CHECK compares it with the one recorded at ADD). Made, addressed and
      // up in one batch; when another ADD made it meanwhile, the steps below finish it.
      const mac = randomMac();
      const made = await ipBatch([`link add name ${br} address ${mac} type bridge`, `addr add ${gateway} dev ${br}`, `link set ${br} up`]).then(
        () => true,
        (err: Error) => {
          if (!/File exists/.test(err.message)) throw err;
          return false;
        },
      );
      if (made) {
        if (conf.isGateway) await writeFile('/proc/sys/net/ipv4/ip_forward', '1').catch(() => undefined);
        return mac;
      }
    }
    await ipBatch([`addr add ${gateway} dev ${br}`, `link set ${br} up`]).catch((err: Error) => {
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
    const leases = this.#leasesOf(join(conf.ipam.dataDir!, list.name));
    const ip = await leases.reserve(rt.containerId, rt.ifName, range);
    const hostIf = `veth${randomBytes(4).toString('hex')}`;
    const [innerMac, hostMac] = [randomMac(), randomMac()];
    const routes = conf.ipam.routes ?? [];
    try {
      // Made inside the container's namespace, its peer put straight into the daemon's and on the bridge.
      await netnsHelper(
        vethArgs({
          netns: rt.netns, ifName: rt.ifName, mac: innerMac, hostIf, hostMac, address: `${ip}/${prefix}`, bridge: conf.bridge,
          ...(conf.mtu ? { mtu: conf.mtu } : {}), hairpin: !!conf.hairpinMode,
          routes: routes.map((r) => ({ dst: r.dst, gw: r.gw ?? range.gateway })),
        }),
      ).catch(async (err: Error) => {
        // The bridge went away since it was looked at: made again, then the host side once more.
        if (!new RegExp(`Cannot find device "${conf.bridge}"`).test(err.message)) throw err;
        this.forget(conf.bridge);
        bridgeMac = await this.#ensureBridge(conf, gateway);
        await netnsHelper(['port', hostIf, conf.bridge, ...(conf.hairpinMode ? ['hairpin'] : [])]);
      });
    } catch (err) {
      await netnsHelper(['del', hostIf]).catch(() => undefined);
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
    if (hostIf && /^[a-zA-Z0-9_.-]{1,15}$/.test(hostIf)) await netnsHelper(['del', hostIf]).catch(gone);
    else if (rt.netns) await netnsHelper(['del', rt.ifName, rt.netns]).catch(gone);
    const ip = cached?.ips?.[0]?.address.split('/')[0];
    await this.#leasesOf(join(conf.ipam.dataDir!, list.name)).release(rt.containerId, rt.ifName, ip);
  }
}
