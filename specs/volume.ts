// The Volume kind: data that outlives containers, as Docker's `docker volume create` makes it and
// as a Kubernetes PersistentVolumeClaim asks for it. One driver, "local" (Docker's): a directory
// under the daemon's root by default, or — with Docker's driver options type/device/o — a mount of
// an existing host directory (type none, o=bind) or a tmpfs (type tmpfs) or another filesystem.
//
// A `v1 PersistentVolumeClaim` manifest is accepted as it is written for a cluster and stored as
// the Volume it stands for (claimToVolume): its storage request is kept and checked against the
// free space where volumes live; what one host cannot give (Block mode, another storage class, a
// storage limit) is a located error, never silently dropped.
import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { API_VERSION, labelMap, storageQuantity, volumeName } from './meta.ts';
import { checkTmpfsOptions, splitOptions } from './tmpfs.ts';

/** Docker's local driver options (`--opt type=tmpfs --opt device=tmpfs --opt o=size=64m`). */
export const DriverOpts = z
  .strictObject({
    /** The filesystem type to mount: "none" with o=bind for a host directory, "tmpfs", or any type mount(8) knows. */
    type: z.string().min(1).optional(),
    /** What to mount: a host path for type none, "tmpfs" (any word) for tmpfs, a device for other types. */
    device: z.string().min(1).optional(),
    /** Mount options, comma-separated ("bind", "size=64m,uid=1000"). */
    o: z.string().optional(),
  })
  .superRefine((o, ctx) => {
    // Docker's rules: type and device go together, and o needs both.
    if (o.type !== undefined && o.device === undefined) ctx.addIssue({ code: 'custom', path: ['device'], message: 'missing required option "device" (it goes with "type")' });
    if (o.device !== undefined && o.type === undefined) ctx.addIssue({ code: 'custom', path: ['type'], message: 'missing required option "type" (it goes with "device")' });
    if (o.o !== undefined && (o.type === undefined || o.device === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['o'], message: '"o" needs "type" and "device" too (e.g. type: none, device: /srv/data, o: bind)' });
    }
    const opts = splitOptions(o.o);
    if (o.type === 'none') {
      if (!opts.includes('bind') && !opts.includes('rbind')) ctx.addIssue({ code: 'custom', path: ['o'], message: 'type "none" mounts a host directory: o must include "bind" (e.g. o: bind)' });
      if (o.device !== undefined && !isAbsolute(o.device)) ctx.addIssue({ code: 'custom', path: ['device'], message: `"${o.device}" must be an absolute host path for a bind` });
    } else if (o.type === 'tmpfs') {
      try {
        checkTmpfsOptions(opts, 'o');
      } catch (e) {
        ctx.addIssue({ code: 'custom', path: ['o'], message: (e as Error).message.replace(/^o: /, '') });
      }
    }
  });

export const VolumeSpec = z.strictObject({
  driver: z.enum(['local']).default('local'),
  driverOpts: DriverOpts.optional(),
  /** From a claim's resources.requests.storage: the volume is made only where this much space is free. */
  requests: z.strictObject({ storage: storageQuantity }).optional(),
});

export const VolumeMeta = z.strictObject({ name: volumeName, labels: labelMap.optional(), annotations: labelMap.optional() });

export const VolumeObject = z.strictObject({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal('Volume'),
  metadata: VolumeMeta,
  spec: VolumeSpec.default({ driver: 'local' }),
});

const ACCESS_MODES = ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'] as const;

/** A Kubernetes `v1 PersistentVolumeClaim`, as much of it as one host can honour. */
export const PersistentVolumeClaimObject = z.strictObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('PersistentVolumeClaim'),
  metadata: VolumeMeta,
  spec: z
    .strictObject({
      // Every mode holds on one host: every container that mounts the volume runs on it.
      accessModes: z.array(z.enum(ACCESS_MODES)).optional(),
      resources: z
        .strictObject({
          requests: z.strictObject({ storage: storageQuantity }).optional(),
          limits: z
            .strictObject({ storage: storageQuantity })
            .optional()
            .superRefine((l, ctx) => {
              if (l !== undefined) ctx.addIssue({ code: 'custom', path: ['storage'], message: 'a storage limit cannot be enforced on a local directory; remove it (requests.storage is checked against the free space)' });
            }),
        })
        .optional(),
      storageClassName: z
        .string()
        .nullable()
        .optional()
        .superRefine((c, ctx) => {
          if (c && c !== 'local') ctx.addIssue({ code: 'custom', message: `storage class "${c}" does not exist here: berth has one, "local" (or leave storageClassName out)` });
        }),
      volumeMode: z.enum(['Filesystem']).optional(),
    })
    .default({}),
});

export type VolumeSpec = z.output<typeof VolumeSpec>;
export type DriverOpts = z.output<typeof DriverOpts>;
export type VolumeManifest = z.output<typeof VolumeObject>;

/** Whether two sets of driver options make the same volume. */
export function sameDriverOpts(a: DriverOpts, b: DriverOpts): boolean {
  return (a.type ?? '') === (b.type ?? '') && (a.device ?? '') === (b.device ?? '') && (a.o ?? '') === (b.o ?? '');
}

/** Driver options as Docker's `--opt` writes them: "type=tmpfs,device=tmpfs", or "none". */
export function optionsText(o: DriverOpts): string {
  const kv = Object.entries(o).filter(([, v]) => v !== undefined);
  return kv.length ? kv.map(([k, v]) => `${k}=${v}`).join(',') : 'none';
}

/** The Volume a validated claim stands for. */
export function claimToVolume(c: z.output<typeof PersistentVolumeClaimObject>): VolumeManifest {
  const storage = c.spec.resources?.requests?.storage;
  return {
    apiVersion: API_VERSION,
    kind: 'Volume',
    metadata: c.metadata,
    spec: { driver: 'local', ...(storage !== undefined ? { requests: { storage } } : {}) },
  };
}

/**
 * Kinds written with another apiVersion that berth stores as one of its own: the schema they are
 * checked against, and the object they become.
 */
export const foreignKinds = {
  PersistentVolumeClaim: { apiVersion: 'v1', kind: 'Volume', schema: PersistentVolumeClaimObject, convert: claimToVolume },
} as const;
