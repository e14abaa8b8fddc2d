// Bundle assembly: a create request and its image become an OCI bundle in the container's
// directory — the run config (container-config.ts, Kubernetes' rules), the user namespace's IDs
// (hostUsers: false), the rootfs (a snapshot, idmapped for a user namespace), the mounts
// (volumes/container-mounts.ts), the user resolved in that rootfs, the security plan (security/),
// the network and the /etc files (container-network.ts), and config.json (bundle.ts, Docker's
// defaults). Each step that leaves something outside the directory registers its undo first, so a
// failed create removes it all.
import { chown, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseMemory } from '../specs/quantity.ts';
import { ociConfig } from './bundle.ts';
import { hostDevices, securityPlan } from './security/security-plan.ts';
import { ensureReachable, mountSysfs, unmountSysfs, type UsernsMapping } from './security/userns.ts';
import { FailedPreconditionError, InvalidArgumentError } from '../specs/errdefs.ts';
import { containerRunConfig, resolveUser } from './container-config.ts';
import { attachNetwork, networkMode, portMappings, writeEtcFiles } from './container-network.ts';
import { ensureMoreNetworks } from './container-networks.ts';
import { containerNetworks } from '../specs/networks.ts';
import type { EngineImage, NetworkAttachment, NetworkPort, SnapshotsPort } from './deps.ts';
import type { CreateRequest } from './engine.ts';
import { writeFileUnpublished } from './fs-atomic.ts';
import { readInside, STDIN_ANNOTATION } from './runtime/monitored-runtime.ts';
import type { VolumesPort } from './volumes/container-mounts.ts';
import type { PortMapping } from '../specs/api/common.ts';
import type { ContainerRecord, ExtraNetwork } from './container-store.ts';
import { initBinary, INIT_PATH } from './init.ts';
import type { Sandbox } from './engine.ts';
import { writeFilesVolumes } from './config-files.ts';

/** Undo steps of a create, run last first when it fails. */
export type Undo = Array<() => Promise<unknown>>;

export interface AssemblyParts {
  snapshots: SnapshotsPort;
  network?: NetworkPort;
  /** The data root: in a user namespace, the container's root must be able to reach what is under it. */
  dataRoot: string;
  /** Volumes, binds and tmpfs of the container. */
  volumes: VolumesPort;
  /** cgroup parent of every container: /sys/fs/cgroup/<controller>/<parent>/<id>. */
  cgroupParent: string;
  /** The IDs of a user namespace of its own for container `id` (hostUsers: false). */
  userns?: (id: string) => Promise<UsernsMapping>;
  /** A Pod's sandbox by the Pod's uid (pod-sandbox.ts): the namespaces its members join. */
  sandbox?: (uid: string) => Promise<Sandbox>;
  /** The directory of a Pod's emptyDir (pod-sandbox.ts volume()). */
  sandboxVolume?: (uid: string, name: string, memory?: { sizeBytes?: number }) => Promise<string>;
}

/** What the container record keeps of an assembled bundle. */
export interface AssembledBundle {
  stopSignal: string;
  network: ContainerRecord['network'];
  userns?: UsernsMapping;
}

export async function assembleBundle(request: CreateRequest, image: EngineImage, dir: string, parts: AssemblyParts, undo: Undo): Promise<AssembledBundle> {
  const name = request.owner.name;
  let sandbox: Sandbox | undefined;
  if (request.spec.pod) {
    if (!parts.sandbox) throw new FailedPreconditionError(`container "${name}": Pods need sandboxes, which this engine does not have`);
    sandbox = await parts.sandbox(request.spec.pod.uid);
  }
  const spec = await writeFilesVolumes(sandbox && parts.sandboxVolume ? await sharedEmptyDirs(request.spec, request.spec.pod!.uid, parts.sandboxVolume) : request.spec, dir);
  const req = spec === request.spec ? request : { ...request, spec };
  const run = containerRunConfig({ name, spec: req.spec, image: image.config });
  const sc = req.spec.securityContext;
  let userns: UsernsMapping | undefined;
  if (req.spec.hostUsers === false) {
    if (!parts.userns) throw new FailedPreconditionError(`container "${name}": hostUsers: false needs user namespaces, which this daemon was not given`);
    userns = await parts.userns(req.id);
  }
  undo.push(() => parts.snapshots.remove(req.id));
  const { rootfs } = await parts.snapshots.prepare(req.id, image, userns);
  undo.push(() => parts.volumes.release(req.id));
  const mounts = await parts.volumes.prepare({
    id: req.id,
    dir,
    owner: req.owner,
    requests: run.mountRequests,
    volumesFrom: req.spec.volumesFrom,
    // The image's VOLUMEs and the spec's (`-v /path`): an anonymous volume each, unless mounted otherwise.
    anonymous: [...Object.keys(image.config.Volumes ?? {}), ...(req.spec.anonymousVolumes ?? [])],
    rootfs,
  });
  if (userns) await giveToUserns(userns, [rootfs, dir], mounts, parts.dataRoot);
  const user = resolveUser(run.user, await readInside(rootfs, 'etc/passwd'), await readInside(rootfs, 'etc/group'));
  if (sc?.runAsNonRoot && user.uid === 0) {
    throw new InvalidArgumentError(
      `container "${name}": securityContext.runAsNonRoot is true, but it would run as root (user "${run.user || 'root'}" of the image or spec); ` +
        'set securityContext.runAsUser to a non-zero uid, or use an image whose USER is not root',
    );
  }
  const mode = networkMode(req.spec);
  const security = securityPlan({ name, sc, uid: user.uid, networkMode: mode });
  // No network (every one disconnected): nothing to publish until it is connected to one.
  let ports = mode === 'none' ? [] : portMappings(req.spec, image.config.ExposedPorts);
  const [first, ...others] = containerNetworks(req.spec);
  const aliases = [...new Set([...(run.hostname !== name ? [run.hostname] : []), ...(first!.aliases ?? [])])].filter((a) => a !== name);
  let more: ExtraNetwork[] = [];
  const extraHosts = (req.spec.hostAliases ?? []).map((h) => ({ ip: h.ip, names: h.hostnames }));
  let net: NetworkAttachment;
  if (sandbox) {
    // A Pod's member: the Pod's network (published once, by the sandbox), IPC and UTS namespaces.
    const mine = new Set(ports.map((p) => `${p.containerPort}/${p.protocol}`));
    ports = (sandbox.ports ?? []).filter((p) => mine.has(`${p.containerPort}/${p.protocol}`));
    net = { ...(sandbox.netnsPath ? { netnsPath: sandbox.netnsPath } : {}), ...(sandbox.ipAddress ? { ipAddress: sandbox.ipAddress } : {}), ...(sandbox.hostsFile ? { hostsFile: sandbox.hostsFile } : {}), ...(sandbox.resolvConfFile ? { resolvConfFile: sandbox.resolvConfFile } : {}), ports };
  } else {
    if (mode !== 'host' && parts.network) undo.push(() => parts.network!.detach(req.id));
    net = await attachNetwork(parts.network, req.id, { mode, name, ports, aliases, extraHosts });
    more = await ensureMoreNetworks(parts.network, req.id, name, others.map((n) => ({ network: n.name, ...(n.aliases ? { aliases: n.aliases } : {}) })));
  }
  const etcFiles = await writeEtcFiles(dir, run.hostname, net, extraHosts);
  if (userns) undo.push(() => unmountSysfs(dir));
  if (req.spec.init) {
    // Docker's --init: the init bind-mounted read-only, the command its arguments.
    mounts.unshift({ destination: INIT_PATH, type: 'bind', source: await initBinary(), options: ['rbind', 'ro'] });
    run.args = [INIT_PATH, '--', ...run.args];
  }
  const config = ociConfig({
    run: { ...run, mounts },
    user,
    rootfs,
    ...(net.netnsPath ? { netnsPath: net.netnsPath } : {}),
    ...(sandbox ? { ipcPath: sandbox.ipcPath, utsPath: sandbox.utsPath } : {}),
    etcFiles,
    security,
    ...(userns ? { userns, sysfsSource: await mountSysfs(dir, net.netnsPath) } : {}),
    ...(security.privileged ? { devices: await hostDevices() } : {}),
    cgroupsPath: `/${parts.cgroupParent}/${req.id}`,
    annotations: {
      'dev.berth.container.name': name,
      'dev.berth.container.uid': req.owner.uid,
      'dev.berth.image.ref': image.ref,
      'dev.berth.image.digest': image.digest,
      // The monitor keeps its stdin open for attach (there is no OCI field for it).
      ...(req.spec.stdin ? { [STDIN_ANNOTATION]: 'true' } : {}),
    },
  });
  // Into the directory of a create in progress (fs-atomic.ts writeFileUnpublished says why not atomically).
  writeFileUnpublished(join(dir, 'config.json'), JSON.stringify(config, null, 2));
  return {
    stopSignal: run.stopSignal,
    network: {
      mode,
      ...(req.spec.pod ? { sandbox: req.spec.pod.uid } : {}),
      ...(net.ipAddress ? { ipAddress: net.ipAddress } : {}),
      ...((net.ports ?? ports).length ? { ports: net.ports ?? ports } : {}),
      ...(aliases.length ? { aliases } : {}),
      ...(extraHosts.length ? { extraHosts } : {}),
      ...(more.length ? { more } : {}),
    },
    ...(userns ? { userns } : {}),
  };
}

/**
 * A Pod's emptyDir volumes are the Pod's (Kubernetes'): one directory in its sandbox (a tmpfs for
 * medium Memory), shared by the members that mount it and removed with the sandbox.
 */
async function sharedEmptyDirs(spec: CreateRequest['spec'], uid: string, volume: NonNullable<AssemblyParts['sandboxVolume']>): Promise<CreateRequest['spec']> {
  if (!spec.volumes?.some((v) => v.emptyDir)) return spec;
  const volumes: NonNullable<CreateRequest['spec']['volumes']> = [];
  for (const v of spec.volumes) {
    if (!v.emptyDir) {
      volumes.push(v);
      continue;
    }
    const memory = v.emptyDir.medium === 'Memory' ? { ...(v.emptyDir.sizeLimit !== undefined ? { sizeBytes: parseMemory(v.emptyDir.sizeLimit) } : {}) } : undefined;
    volumes.push({ name: v.name, hostPath: { path: await volume(uid, v.name, memory), type: 'Directory' } });
  }
  return { ...spec, volumes };
}

/**
 * In a user namespace the container's root is an unprivileged host uid: it must reach its rootfs,
 * bundle and volumes (security/userns.ts ensureReachable), and a volume directory berth made empty
 * for it (an emptyDir, a new named volume) becomes its own. A hostPath, or a volume with content,
 * is used as it is.
 */
async function giveToUserns(userns: UsernsMapping, paths: string[], mounts: Array<{ type: string; source: string }>, dataRoot: string): Promise<void> {
  const root = `${dataRoot.replace(/\/+$/, '')}/`;
  const made = mounts.filter((m) => m.type === 'bind' && m.source.startsWith(root)).map((m) => m.source);
  for (const p of [...paths, ...made]) await ensureReachable(p, dataRoot);
  for (const source of made) {
    const st = await stat(source);
    if (st.isDirectory() && st.uid === 0 && (await readdir(source)).length === 0) await chown(source, userns.uid, userns.gid);
  }
}
