// berth-netns (native/netns-helper.c): a container's network namespace and its veth by rtnetlink, one
// fork of berth-spawner each (its builtin `netns`, the same code) — where `unshare … ip` and
// `sh | nsenter ip; ip` took six programs per container. Its errors are iproute2's words, so callers
// match them as they did.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UnavailableError } from '../../specs/errdefs.ts';
import { commandErrorText } from '../command-error.ts';
import { runNetns } from '../spawner.ts';

let binary: string | undefined;

function helper(): string {
  if (binary) return binary;
  for (const rel of ['../../native/build/berth-netns', '../../../native/build/berth-netns']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return (binary = p);
  }
  throw new UnavailableError('native/build/berth-netns is not built: run `npm run build` (or `make -C native`) in berth\'s directory');
}

/** Runs `berth-netns <args>`; its stderr as the error's message. */
export async function netnsHelper(args: string[]): Promise<void> {
  try {
    await runNetns(helper, args);
  } catch (err) {
    if (err instanceof UnavailableError) throw err;
    throw new Error(commandErrorText(err), { cause: err });
  }
}

/** The veth of a container: `ifName` in `netns` with `address` and `routes`, its peer `hostIf` a port of `bridge`. */
export interface VethSpec {
  netns: string;
  ifName: string;
  mac: string;
  hostIf: string;
  hostMac: string;
  /** CIDR, e.g. 10.213.0.2/16 */
  address: string;
  bridge: string;
  mtu?: number;
  hairpin?: boolean;
  /** Destination CIDR (0.0.0.0/0 for the default route) and gateway. */
  routes: Array<{ dst: string; gw: string }>;
}

export function vethArgs(v: VethSpec): string[] {
  return [
    'veth', v.netns, v.ifName, v.mac, v.hostIf, v.hostMac, v.address, v.bridge,
    ...(v.mtu ? ['mtu', String(v.mtu)] : []),
    ...(v.hairpin ? ['hairpin'] : []),
    ...v.routes.flatMap((r) => ['route', r.dst, r.gw]),
  ];
}
