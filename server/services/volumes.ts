// The volume service: every verb on volumes an API offers — list (Docker's filters), inspect,
// create, remove, prune, and the anonymous volumes of a removed container (`rm -v`) — over the
// volumes on the host (engine/volumes) and the Volume objects in the store. A volume is listed
// whether a Volume object declares it or a container's first use made it; one in use is never
// removed, and the error names who uses it.
import { randomBytes } from 'node:crypto';
import type { LocalVolume, LocalVolumes } from '../../engine/volumes/local-volumes.ts';
import { ANONYMOUS_LABEL, inUseError } from '../../engine/volumes/local-volumes.ts';
import type { VolumePruneResult, VolumeSummary, VolumeUser } from '../../specs/api/volumes.ts';
import { AlreadyExistsError, FailedPreconditionError, InvalidArgumentError, NotFoundError } from '../../specs/errdefs.ts';
import { canonicalJSON } from '../../store/canonical.ts';
import type { Store } from '../../store/store.ts';
import { API_VERSION, type VolumeResource } from '../../specs/schema.ts';
import { formatPath, problemsFromIssues } from '../../specs/problems.ts';
import { VolumeObject } from '../../specs/volume.ts';
import { byCodeUnit } from '../../specs/order.ts';

/** Docker's `volume ls` filters: values of one key are alternatives, except labels (all must hold). */
export interface VolumeFilters {
  dangling?: boolean;
  driver?: string[];
  label?: string[];
  name?: string[];
}

export interface CreateVolumeRequest {
  name?: string;
  driver?: string;
  driverOpts?: Record<string, string>;
  labels?: Record<string, string>;
}

/** `dangling=true`, `label=k`, `label=k=v`, `name=part`, `driver=local` → filters; anything else is an InvalidArgumentError. */
export function parseVolumeFilters(list: string[]): VolumeFilters {
  const f: VolumeFilters = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    const key = eq < 0 ? item : item.slice(0, eq);
    const value = eq < 0 ? '' : item.slice(eq + 1);
    if (key === 'dangling') {
      if (!['true', 'false', '1', '0'].includes(value)) throw new InvalidArgumentError(`invalid filter 'dangling=${value}': use dangling=true or dangling=false`);
      f.dangling = value === 'true' || value === '1';
    } else if (key === 'label' || key === 'name' || key === 'driver') {
      if (!value) throw new InvalidArgumentError(`invalid filter '${item}': give ${key}=VALUE`);
      (f[key] ??= []).push(value);
    } else {
      throw new InvalidArgumentError(`invalid filter '${key}' (volume filters: dangling, driver, label, name)`);
    }
  }
  return f;
}

function labelMatches(want: string, labels: Record<string, string>): boolean {
  const eq = want.indexOf('=');
  return eq < 0 ? want in labels : labels[want.slice(0, eq)] === want.slice(eq + 1);
}

export function matchesFilters(v: VolumeSummary, f: VolumeFilters): boolean {
  if (f.dangling !== undefined && (v.users.length === 0) !== f.dangling) return false;
  if (f.driver && !f.driver.includes(v.driver)) return false;
  if (f.name && !f.name.some((n) => v.name.includes(n))) return false;
  return !f.label || f.label.every((l) => labelMatches(l, v.labels));
}

export class VolumeService {
  /** The volumes on the host (the volume controller works on them too). */
  readonly host: LocalVolumes;
  readonly #store: Store;
  readonly #sizeOf: (name: string) => number | undefined;

  constructor(o: { store: Store; host: LocalVolumes; sizeOf?: (name: string) => number | undefined }) {
    this.#store = o.store;
    this.host = o.host;
    this.#sizeOf = o.sizeOf ?? (() => undefined);
  }

  async list(filters: VolumeFilters = {}): Promise<VolumeSummary[]> {
    const usage = await this.host.usage();
    const objects = new Map((this.#store.list('Volume') as VolumeResource[]).map((r) => [r.metadata.name, r]));
    const out = (await this.host.list()).map((v) => this.#summary(v, usage.get(v.name) ?? [], objects.get(v.name)));
    const onHost = new Set(out.map((s) => s.name));
    for (const [name, r] of objects) if (!onHost.has(name)) out.push(this.#declaredOnly(r));
    return out.filter((s) => matchesFilters(s, filters)).sort((a, b) => byCodeUnit(a.name, b.name));
  }

  async inspect(name: string): Promise<VolumeSummary> {
    const r = this.#store.get('Volume', name) as VolumeResource | undefined;
    const v = await this.host.get(name);
    if (!v) {
      if (r) return this.#declaredOnly(r);
      throw new NotFoundError(`no such volume: ${name} (\`berth volume ls\` lists them)`);
    }
    return this.#summary(v, await this.host.users(name), r);
  }

  /**
   * `volume create`: a Volume object (source cli:volume) and its volume, made at once so that a bad
   * option or a device that will not mount is an error now, with nothing left behind. An existing
   * volume with the same options is returned as it is (Docker's rule); other options are refused.
   */
  async create(req: CreateVolumeRequest): Promise<VolumeSummary> {
    const name = req.name || randomBytes(32).toString('hex');
    const parsed = VolumeObject.safeParse({
      apiVersion: API_VERSION,
      kind: 'Volume',
      metadata: { name, ...(req.labels && Object.keys(req.labels).length ? { labels: req.labels } : {}) },
      spec: { driver: req.driver ?? 'local', ...(req.driverOpts && Object.keys(req.driverOpts).length ? { driverOpts: req.driverOpts } : {}) },
    }, { reportInput: true });
    if (!parsed.success) {
      const problems = problemsFromIssues(parsed.error.issues, VolumeObject);
      throw new InvalidArgumentError(`volume create: ${problems.map((p) => `${formatPath(p.path) || 'volume'}: ${p.message}`).join('; ')}`);
    }
    const m = parsed.data;
    const existing = this.#store.get('Volume', name) as VolumeResource | undefined;
    if (existing) {
      if (canonicalJSON(existing.spec) !== canonicalJSON(m.spec)) {
        throw new AlreadyExistsError(`volume "${name}" already exists (a Volume object from ${existing.metadata.source}) with other options; remove it first or use another name`);
      }
      return this.inspect(name);
    }
    const { created } = await this.host.create(name, { spec: m.spec, labels: m.metadata.labels ?? {} });
    if (!created) return this.inspect(name); // made by a container's first use: Docker keeps it as it is
    try {
      const { resource } = this.#store.put(m, 'cli:volume');
      await this.host.update(name, { object: resource.metadata.uid });
    } catch (err) {
      await this.host.remove(name).catch(() => undefined);
      throw err;
    }
    return this.inspect(name);
  }

  /** `volume rm`: refused while a container uses it; `force` only makes a missing volume not an error (Docker's -f). */
  async remove(name: string, o: { force?: boolean } = {}): Promise<boolean> {
    const r = this.#store.get('Volume', name);
    const v = await this.host.get(name);
    if (!v && !r) {
      if (o.force) return false;
      throw new NotFoundError(`no such volume: ${name}`);
    }
    await this.assertUnused([name]);
    if (r) this.#store.delete('Volume', name);
    if (v) await this.host.remove(name).catch((err) => (err instanceof NotFoundError ? undefined : Promise.reject(err)));
    return true;
  }

  /** `volume prune`: unused anonymous volumes, or (all) every unused volume; `label` filters narrow it. */
  async prune(o: { all?: boolean; label?: string[] } = {}): Promise<VolumePruneResult> {
    const deleted: string[] = [];
    let reclaimedBytes = 0;
    for (const v of await this.list({ dangling: true, ...(o.label?.length ? { label: o.label } : {}) })) {
      if (!v.exists || (!o.all && !v.anonymous)) continue;
      const bytes = await this.host.size(v.name).catch(() => 0);
      try {
        await this.remove(v.name);
      } catch (err) {
        if (err instanceof FailedPreconditionError) continue; // a container took it meanwhile
        throw err;
      }
      deleted.push(v.name);
      reclaimedBytes += bytes;
    }
    return { deleted, reclaimedBytes };
  }

  /** Removes the anonymous volumes made for a Container object (`rm -v`) that no container uses. */
  async removeAnonymousOf(ownerUid: string): Promise<string[]> {
    const gone: string[] = [];
    for (const v of await this.host.list()) {
      if (v.anonymous?.uid !== ownerUid) continue;
      await this.host.remove(v.name).then(
        () => gone.push(v.name),
        (err) => (err instanceof FailedPreconditionError ? undefined : Promise.reject(err)),
      );
    }
    return gone;
  }

  /** A FailedPreconditionError naming the containers that use any of these volumes. */
  async assertUnused(names: string[]): Promise<void> {
    const usage = await this.host.usage();
    for (const name of names) {
      const users = usage.get(name) ?? [];
      if (users.length) throw inUseError(name, users);
    }
  }

  #summary(v: LocalVolume, users: VolumeUser[], r: VolumeResource | undefined): VolumeSummary {
    const size = this.#sizeOf(v.name);
    return {
      name: v.name,
      driver: 'local',
      mountpoint: v.mountpoint,
      createdAt: v.createdAt,
      labels: v.labels,
      options: { ...v.options } as Record<string, string>,
      scope: 'local',
      anonymous: v.anonymous !== undefined || ANONYMOUS_LABEL in v.labels,
      users,
      ...(size !== undefined ? { sizeBytes: size } : {}),
      ...(r ? { object: objectOf(r) } : {}),
      exists: true,
    };
  }

  #declaredOnly(r: VolumeResource): VolumeSummary {
    return {
      name: r.metadata.name,
      driver: 'local',
      mountpoint: this.host.mountpoint(r.metadata.name),
      createdAt: r.metadata.creationTimestamp,
      labels: r.metadata.labels ?? {},
      options: { ...(r.spec.driverOpts ?? {}) } as Record<string, string>,
      scope: 'local',
      anonymous: false,
      users: [],
      object: objectOf(r),
      exists: false,
    };
  }
}

function objectOf(r: VolumeResource): NonNullable<VolumeSummary['object']> {
  return { source: r.metadata.source, ...(r.status.phase ? { phase: r.status.phase } : {}), ...(r.status.message ? { message: r.status.message } : {}) };
}
