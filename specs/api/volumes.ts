// Volumes as the API shows them: what `volume ls`/`inspect` print and what a Volume object's
// status holds.

/** A container that has a volume mounted (created, running or stopped: it keeps the volume in use). */
export interface VolumeUser {
  /** The Container object's name ("" for a container berth did not record an owner for). */
  name: string;
  id: string;
}

/** Docker's `docker volume inspect` JSON for one volume. */
export interface DockerVolume {
  CreatedAt: string;
  Driver: string;
  Labels: Record<string, string> | null;
  Mountpoint: string;
  Name: string;
  Options: Record<string, string> | null;
  Scope: 'local';
}

/** One volume on the host, with who uses it; `object` when a Volume object declares it. */
export interface VolumeSummary {
  name: string;
  driver: 'local';
  /** Where its data is on the host (what containers bind). */
  mountpoint: string;
  createdAt: string;
  labels: Record<string, string>;
  /** Docker's driver options (type/device/o), as given. */
  options: Record<string, string>;
  scope: 'local';
  /** Made for an image's VOLUME (or `-v /path`) of one container, not by name. */
  anonymous: boolean;
  users: VolumeUser[];
  /** Bytes of data, as last measured (absent until measured). */
  sizeBytes?: number;
  /** The Volume object, when there is one (a volume made by first use has none). */
  object?: { phase?: string; source: string; message?: string };
  /** False while a Volume object's volume is not made yet. */
  exists: boolean;
}

/** What the volume controller writes into a Volume object's status. */
export interface VolumeStatus {
  phase: 'Pending' | 'Bound' | 'Failed';
  mountpoint?: string;
  createdAt?: string;
  /** Container objects that have it mounted. */
  usedBy?: string[];
  sizeBytes?: number;
  reason?: string;
  message?: string;
}

/** `volume prune`: what went, and the bytes it held. */
export interface VolumePruneResult {
  deleted: string[];
  reclaimedBytes: number;
}
