// Bundle assembly: a create request and its image become an OCI bundle in the container's
// directory — the run config (container-config.ts, Kubernetes' rules), the rootfs (a snapshot),
// the mounts (volumes/container-mounts.ts), the user resolved in that rootfs, the network and the /etc files
// (container-network.ts), and config.json (bundle.ts, Docker's defaults). Each step that leaves
// something outside the directory registers its undo first, so a failed create removes it all.
import { join } from 'node:path';
import { ociConfig } from './bundle.ts';
import { containerRunConfig, resolveUser } from './container-config.ts';
import { attachNetwork, networkMode, portMappings, writeEtcFiles } from './container-network.ts';
import type { EngineImage, NetworkPort, SnapshotsPort } from './deps.ts';
import type { CreateRequest } from './engine.ts';
import { writeFileAtomic } from './fs-atomic.ts';
import { readInside } from './runtime/monitored-runtime.ts';
import type { VolumesPort } from './volumes/container-mounts.ts';
import type { PortMapping } from '../specs/api/common.ts';

/** Undo steps of a create, run last first when it fails. */
export type Undo = Array<() => Promise<unknown>>;

export interface AssemblyParts {
  snapshots: SnapshotsPort;
  network?: NetworkPort;
  /** Volumes, binds and tmpfs of the container. */
  volumes: VolumesPort;
  /** cgroup parent of every container: /sys/fs/cgroup/<controller>/<parent>/<id>. */
  cgroupParent: string;
}

/** What the container record keeps of an assembled bundle. */
export interface AssembledBundle {
  stopSignal: string;
  network: { mode: string; ipAddress?: string; ports?: PortMapping[] };
}

export async function assembleBundle(req: CreateRequest, image: EngineImage, dir: string, parts: AssemblyParts, undo: Undo): Promise<AssembledBundle> {
  const run = containerRunConfig({ name: req.owner.name, spec: req.spec, image: image.config });
  undo.push(() => parts.snapshots.remove(req.id));
  const { rootfs } = await parts.snapshots.prepare(req.id, image);
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
  const user = resolveUser(run.user, await readInside(rootfs, 'etc/passwd'), await readInside(rootfs, 'etc/group'));

  const mode = networkMode(req.spec);
  const ports = portMappings(req.spec);
  if (mode !== 'host' && parts.network) undo.push(() => parts.network!.detach(req.id));
  const net = await attachNetwork(parts.network, req.id, { mode, name: req.owner.name, ports });
  const etcFiles = await writeEtcFiles(dir, run.hostname, net);
  const config = ociConfig({
    run: { ...run, mounts },
    user,
    rootfs,
    ...(net.netnsPath ? { netnsPath: net.netnsPath } : {}),
    etcFiles,
    cgroupsPath: `/${parts.cgroupParent}/${req.id}`,
    annotations: {
      'dev.berth.container.name': req.owner.name,
      'dev.berth.container.uid': req.owner.uid,
      'dev.berth.image.ref': image.ref,
      'dev.berth.image.digest': image.digest,
    },
  });
  await writeFileAtomic(join(dir, 'config.json'), JSON.stringify(config, null, 2));
  return {
    stopSignal: run.stopSignal,
    network: { mode, ...(net.ipAddress ? { ipAddress: net.ipAddress } : {}), ...(ports.length ? { ports } : {}) },
  };
}
