// The pure decision for one volume name: compare the Volume object (if any) with the volume on the
// host (if any) and say what to do. A Volume object's volume is made, adopted (a volume made by
// first use before the object existed, with the same options) and labelled as the object says; a
// volume whose options differ from the object's is reported, never remade (its data would go). A
// volume made for an object that is gone is removed once no container uses it. Volumes made by a
// container's first use, with no object, are left alone (`volume rm` and `prune` remove them).
import { sameDriverOpts, type DriverOpts, type VolumeSpec } from '../specs/volume.ts';
import type { VolumeUser } from '../specs/api/volumes.ts';
import type { Decision } from './container-reconcile.ts';

/** Status and users are looked at again this often (containers come and go between events). */
export const VOLUME_RESYNC_MS = 30_000;
/** A volume's size is measured (a walk of its tree) at most this often. */
export const SIZE_EVERY_MS = 60_000;

export interface VolumeDesiredView {
  name: string;
  uid: string;
  spec: VolumeSpec;
  labels: Record<string, string>;
}

export interface VolumeObservedView {
  local?: { options: DriverOpts; labels: Record<string, string>; object?: string };
  users: VolumeUser[];
  /** ms since epoch of the last size measurement, if any. */
  measuredAt?: number;
}

export type VolumeAction =
  | { type: 'create' }
  | { type: 'update'; labels: Record<string, string>; object: string }
  | { type: 'optionsDiffer' }
  | { type: 'remove' }
  | { type: 'keepInUse'; users: string[] }
  | { type: 'measure' };

const sameMap = (a: Record<string, string>, b: Record<string, string>) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);

export function reconcileVolume(desired: VolumeDesiredView | undefined, observed: VolumeObservedView, now: number): Decision<VolumeAction> {
  const { local } = observed;
  const actions: VolumeAction[] = [];
  if (!desired) {
    if (!local) return { actions };
    // Made for a Volume object that is gone: its data goes too, but never from under a container.
    if (local.object) {
      if (observed.users.length) return { actions: [{ type: 'keepInUse', users: observed.users.map((u) => u.name || u.id.slice(0, 12)) }], requeueAfter: VOLUME_RESYNC_MS };
      return { actions: [{ type: 'remove' }] };
    }
  } else if (!local) {
    actions.push({ type: 'create' });
  } else if (!sameDriverOpts(local.options, desired.spec.driverOpts ?? {})) {
    actions.push({ type: 'optionsDiffer' });
  } else if (local.object !== desired.uid || !sameMap(local.labels, desired.labels)) {
    actions.push({ type: 'update', labels: desired.labels, object: desired.uid });
  }
  if ((local || desired) && (observed.measuredAt === undefined || now - observed.measuredAt >= SIZE_EVERY_MS)) actions.push({ type: 'measure' });
  return { actions, requeueAfter: VOLUME_RESYNC_MS };
}
