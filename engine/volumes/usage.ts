// Which containers use which volumes, read from the containers' directories: each container's
// mounts.json (written by container-mounts.ts when it is created) lists its mounts; a container
// made before mounts.json existed is read from its bundle's config.json (binds under the volumes
// directory). A container uses its volumes from its creation until its directory is removed.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readSmallFile } from '../read-small.ts';
import type { VolumeUser } from '../../specs/api/volumes.ts';

/** One mount of a container, as it was asked for (so that --volumes-from can ask for it again). */
export interface MountEntry {
  destination: string;
  readOnly: boolean;
  kind: 'volume' | 'bind' | 'emptyDir' | 'tmpfs';
  /** The volume's name (kind volume). */
  volume?: string;
  anonymous?: boolean;
  /** The host path (kind bind). */
  hostPath?: string;
  subPath?: string;
  /** Where a subPath is bound for the runtime to take it (under <root>/subpaths/<id>/). */
  staged?: string;
}

/** <root>/containers/<id>/mounts.json */
export interface MountsRecord {
  id: string;
  /** The Container object's name and uid. */
  owner: string;
  uid: string;
  createdAt: string;
  mounts: MountEntry[];
}

export const MOUNTS_FILE = 'mounts.json';
const ID = /^[0-9a-f]{64}$/;

/**
 * A container's mounts.json; undefined when it has none (or it cannot be parsed). Read synchronously
 * (read-small.ts says why): every start reads its container's (restore), every removal too.
 */
export async function readMounts(containerDir: string): Promise<MountsRecord | undefined> {
  const text = readSmallFile(join(containerDir, MOUNTS_FILE));
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as MountsRecord;
  } catch {
    return undefined;
  }
}

/** Every container's mounts record (containers without one are left out). */
export async function allMounts(containersDir: string): Promise<MountsRecord[]> {
  const out: MountsRecord[] = [];
  for (const id of await readdir(containersDir).catch(() => [] as string[])) {
    if (!ID.test(id)) continue;
    const rec = await readMounts(join(containersDir, id));
    if (rec) out.push(rec);
  }
  return out;
}

interface LegacyConfig {
  mounts?: Array<{ source?: string; type?: string }>;
  annotations?: Record<string, string>;
}

export async function volumeUsers(containersDir: string, volumesDir: string): Promise<Map<string, VolumeUser[]>> {
  const users = new Map<string, VolumeUser[]>();
  const add = (volume: string, user: VolumeUser) => {
    const list = users.get(volume) ?? [];
    if (!list.some((u) => u.id === user.id)) list.push(user);
    users.set(volume, list);
  };
  for (const id of await readdir(containersDir).catch(() => [] as string[])) {
    if (!ID.test(id)) continue;
    const dir = join(containersDir, id);
    const rec = await readMounts(dir);
    if (rec) {
      for (const m of rec.mounts) if (m.kind === 'volume' && m.volume) add(m.volume, { name: rec.owner, id });
      continue;
    }
    const cfg = await readFile(join(dir, 'config.json'), 'utf8').then((t) => JSON.parse(t) as LegacyConfig, () => undefined);
    for (const m of cfg?.mounts ?? []) {
      if (m.type !== 'bind' || !m.source?.startsWith(`${volumesDir}/`)) continue;
      const name = m.source.slice(volumesDir.length + 1).split('/')[0]!;
      add(name, { name: cfg?.annotations?.['dev.berth.container.name'] ?? '', id });
    }
  }
  return users;
}
