// Bundles for the runtime conformance suite: a busybox rootfs and a config.json written by the
// engine's own bundle writer (engine/bundle.ts), so the suite checks what the engine really sends.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ociConfig } from '../../../engine/bundle.ts';
import type { ContainerRunConfig } from '../../../engine/container-config.ts';
import { STDIN_ANNOTATION } from '../../../engine/runtime/monitored-runtime.ts';
import { securityPlan, type OciDevice } from '../../../engine/security/security-plan.ts';
import type { UsernsMapping } from '../../../engine/security/userns.ts';
import type { SecurityContext } from '../../../specs/security.ts';
import { makeBusyboxRootfs } from '../../fixtures/rootfs.ts';

export interface BundleSpec extends Partial<ContainerRunConfig> {
  args: string[];
  uid?: number;
  gid?: number;
  /** Join no network namespace of its own (default: a new empty one). */
  hostNetwork?: boolean;
  /** Join this network namespace (as the engine does with the network manager's). */
  netnsPath?: string;
  /** Keep its stdin open (the annotation the engine writes for spec.stdin). */
  stdin?: boolean;
  /** The securityContext the engine would turn into capabilities, seccomp, sysctls… (default: none). */
  securityContext?: SecurityContext;
  /** A user namespace of its own; `rootfs` then is the idmapped rootfs made for it. */
  userns?: UsernsMapping;
  rootfs?: string;
  /** A sysfs bound on /sys (what the engine gives a user namespace joining a network namespace it does not own). */
  sysfsSource?: string;
  /** Device nodes (a privileged container's). */
  devices?: OciDevice[];
  /** Host files bound on /etc/hosts, /etc/hostname, /etc/resolv.conf (as the engine makes them). */
  etcFiles?: { hosts?: string; hostname?: string; resolvConf?: string };
}

/** A shared read-only busybox rootfs per suite, one bundle directory per container. */
export function makeBundle(dir: string, rootfs: string, cgroupParent: string, id: string, s: BundleSpec): string {
  mkdirSync(dir, { recursive: true });
  const run: ContainerRunConfig = {
    args: s.args,
    env: s.env ?? ['PATH=/bin', 'HOSTNAME=' + (s.hostname ?? id)],
    cwd: s.cwd ?? '/',
    user: '',
    hostname: s.hostname ?? id,
    stopSignal: 'SIGTERM',
    readonlyRootfs: s.readonlyRootfs ?? !s.userns,
    mounts: s.mounts ?? [{ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777'] }],
    resources: s.resources ?? {},
    ...(s.terminal ? { terminal: true } : {}),
  };
  const uid = s.uid ?? 0;
  const config = ociConfig({
    run,
    user: { uid, gid: s.gid ?? 0, additionalGids: [] },
    rootfs: s.rootfs ?? rootfs,
    security: securityPlan({ name: id, sc: s.securityContext, uid, networkMode: s.hostNetwork ? 'host' : 'private' }),
    ...(s.userns ? { userns: s.userns } : {}),
    ...(s.sysfsSource ? { sysfsSource: s.sysfsSource } : {}),
    ...(s.devices ? { devices: s.devices } : {}),
    ...(s.netnsPath ? { netnsPath: s.netnsPath } : {}),
    etcFiles: s.etcFiles ?? {},
    annotations: { 'dev.berth.test': 'conformance', ...(s.stdin ? { [STDIN_ANNOTATION]: 'true' } : {}) },
    cgroupsPath: `/${cgroupParent}/${id}`,
  });
  // A new, empty network namespace unless the test wants the host's (the engine adds a path).
  if (!s.hostNetwork) config.linux.namespaces.push({ type: 'network' });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2));
  return dir;
}

export { makeBusyboxRootfs };
