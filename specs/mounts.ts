// Docker's mount flags of `run` as a Container spec's volumes, the one place where they are
// translated: `-v SRC:DST[:OPTS]` and `-v /path`, `--mount type=bind|volume|tmpfs,…`,
// `--tmpfs /path[:opts]` and `--volumes-from NAME[:ro|rw]`. Docker's rules are kept: `-v` makes a
// missing host directory and `--mount` refuses it; an empty named volume is filled from the image
// unless `nocopy`; a tmpfs is noexec,nosuid,nodev unless told otherwise.
import { isAbsolute, posix, resolve } from 'node:path';
import { InvalidArgumentError } from './errdefs.ts';
import { isVolumeName } from './volume-name.ts';
import { checkTmpfsOptions, splitOptions } from './tmpfs.ts';

/** What the flags add to a Container spec. */
export interface MountSpec {
  volumes: Array<Record<string, unknown>>;
  volumeMounts: Array<Record<string, unknown>>;
  anonymousVolumes: string[];
  volumesFrom: Array<{ name: string; readOnly?: boolean }>;
  /** Volumes to make before the container (`--mount …,volume-opt=…` of a volume that may not exist yet). */
  create: Array<{ name: string; driverOpts: Record<string, string> }>;
}

export interface MountFlags {
  volume?: string[];
  mount?: string[];
  tmpfs?: string[];
  volumesFrom?: string[];
}

/** Docker's defaults for a tmpfs of `--tmpfs` and `--mount type=tmpfs`. */
const DOCKER_TMPFS = ['noexec', 'nosuid', 'nodev'];
const PROPAGATION = ['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'];

function checkTarget(target: string, flag: string): string {
  if (!target) throw new InvalidArgumentError(`${flag}: the target (the path in the container) is missing`);
  if (!target.startsWith('/')) throw new InvalidArgumentError(`${flag}: invalid mount target "${target}": it must be an absolute path`);
  const t = posix.normalize(target).replace(/(.)\/+$/, '$1');
  if (t === '/') throw new InvalidArgumentError(`${flag}: the target cannot be "/"`);
  return t;
}

function checkVolumeName(name: string, flag: string): void {
  if (!isVolumeName(name)) {
    throw new InvalidArgumentError(
      `${flag}: "${name}" includes invalid characters for a local volume name, only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed; to bind a host directory, give an absolute path`,
    );
  }
}

/** Docker's `--mount` value: comma-separated key=value fields, a field quoted "…" when it holds a comma. */
export function splitMountFields(spec: string): string[] {
  // A value with a comma is written quoted (`"volume-opt=o=size=64m,uid=1000"`), as Docker's CSV
  // reader takes it; one line of CSV does not call for a CSV library.
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < spec.length; i++) {
    const c = spec[i]!;
    if (c === '"') {
      if (quoted && spec[i + 1] === '"') (cur += '"'), i++;
      else quoted = !quoted;
    } else if (c === ',' && !quoted) (out.push(cur), (cur = ''));
    else cur += c;
  }
  if (quoted) throw new InvalidArgumentError(`--mount "${spec}": a quote is not closed`);
  out.push(cur);
  return out;
}

function bool(v: string | undefined, key: string, flag: string): boolean {
  if (v === undefined || v === '' || v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new InvalidArgumentError(`${flag}: ${key}="${v}" must be true or false`);
}

export function mountSpec(f: MountFlags, cwd = process.cwd()): MountSpec {
  const out: MountSpec = { volumes: [], volumeMounts: [], anonymousVolumes: [], volumesFrom: [], create: [] };
  let n = 0;
  const add = (source: Record<string, unknown>, mount: Record<string, unknown>) => {
    const name = `m${n++}`;
    out.volumes.push({ name, ...source });
    out.volumeMounts.push({ name, ...mount });
  };

  for (const v of f.volume ?? []) {
    const flag = `-v "${v}"`;
    const parts = v.split(':');
    if (parts.length === 1) {
      out.anonymousVolumes.push(checkTarget(parts[0]!, flag));
      continue;
    }
    if (parts.length > 3 || !parts[0]) throw new InvalidArgumentError(`${flag} is not SOURCE:/CONTAINER/PATH[:OPTIONS] (SOURCE: an absolute host path or a volume name)`);
    const [src, dst, opts] = parts as [string, string, string | undefined];
    const mountPath = checkTarget(dst, flag);
    let readOnly = false;
    let noCopy = false;
    for (const o of splitOptions(opts)) {
      if (o === 'ro' || o === 'rw') readOnly = o === 'ro';
      else if (o === 'nocopy' || o === 'copy') noCopy = o === 'nocopy';
      else if (PROPAGATION.includes(o) && o !== 'rprivate' && o !== 'private') throw new InvalidArgumentError(`${flag}: propagation "${o}" is not supported (berth's mounts are rprivate)`);
      else if (o === 'z' || o === 'Z') throw new InvalidArgumentError(`${flag}: "${o}" relabels for SELinux, which berth does not do; leave it out`);
      else if (!PROPAGATION.includes(o)) throw new InvalidArgumentError(`${flag}: unknown option "${o}" (ro, rw, nocopy)`);
    }
    if (isAbsolute(src)) {
      if (noCopy) throw new InvalidArgumentError(`${flag}: nocopy is for volumes, not host paths`);
      add({ hostPath: { path: src, type: 'DirectoryOrCreate' } }, { mountPath, readOnly });
    } else {
      checkVolumeName(src, flag);
      add({ persistentVolumeClaim: { claimName: src } }, { mountPath, readOnly, ...(noCopy ? { noCopy } : {}) });
    }
  }

  for (const spec of f.mount ?? []) mountFlag(spec, add, out, cwd);

  for (const t of f.tmpfs ?? []) {
    const flag = `--tmpfs "${t}"`;
    const i = t.indexOf(':');
    const mountPath = checkTarget(i < 0 ? t : t.slice(0, i), flag);
    const options = splitOptions(i < 0 ? '' : t.slice(i + 1));
    checkTmpfsOptions(options, flag);
    add({ emptyDir: { medium: 'Memory', mountOptions: [...DOCKER_TMPFS, ...options] } }, { mountPath });
  }

  for (const vf of f.volumesFrom ?? []) {
    const [name, mode, extra] = vf.split(':');
    if (!name || extra !== undefined || (mode !== undefined && mode !== 'ro' && mode !== 'rw')) {
      throw new InvalidArgumentError(`--volumes-from "${vf}" is not CONTAINER[:ro|rw]`);
    }
    out.volumesFrom.push({ name, ...(mode ? { readOnly: mode === 'ro' } : {}) });
  }
  return out;
}

/** One `--mount`: Docker's keys, each checked; an unknown key or a missing part is an error. */
function mountFlag(spec: string, add: (s: Record<string, unknown>, m: Record<string, unknown>) => void, out: MountSpec, cwd: string): void {
  const flag = `--mount "${spec}"`;
  const kv = new Map<string, string | undefined>();
  const volumeOpts: Record<string, string> = {};
  for (const field of splitMountFields(spec)) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? undefined : field.slice(eq + 1);
    if (key === 'volume-opt') {
      const [k, ...rest] = (value ?? '').split('=');
      if (!k || !rest.length) throw new InvalidArgumentError(`${flag}: volume-opt must be volume-opt=KEY=VALUE`);
      volumeOpts[k] = rest.join('=');
      continue;
    }
    const canonical = ({ src: 'source', dst: 'target', destination: 'target', ro: 'readonly' } as Record<string, string>)[key] ?? key;
    const known = ['type', 'source', 'target', 'readonly', 'volume-nocopy', 'volume-subpath', 'volume-driver', 'bind-propagation', 'bind-recursive', 'tmpfs-size', 'tmpfs-mode', 'consistency'];
    if (!known.includes(canonical)) throw new InvalidArgumentError(`${flag}: unexpected key "${key}" (keys: type, source, target, readonly, volume-opt, volume-nocopy, volume-subpath, bind-propagation, tmpfs-size, tmpfs-mode)`);
    kv.set(canonical, value);
  }
  const type = kv.get('type') ?? 'volume';
  const source = kv.get('source') ?? '';
  const mountPath = checkTarget(kv.get('target') ?? '', flag);
  const readOnly = kv.has('readonly') ? bool(kv.get('readonly'), 'readonly', flag) : false;
  const only = (keys: string[], forType: string) => {
    for (const k of keys) if (kv.has(k) || (k === 'volume-opt' && Object.keys(volumeOpts).length)) throw new InvalidArgumentError(`${flag}: ${k} is only for type=${forType}`);
  };
  const prop = kv.get('bind-propagation');
  if (prop !== undefined && prop !== 'rprivate' && prop !== 'private') throw new InvalidArgumentError(`${flag}: bind-propagation=${prop} is not supported (berth's mounts are rprivate)`);
  const rec = kv.get('bind-recursive');
  if (rec !== undefined && rec !== 'enabled') throw new InvalidArgumentError(`${flag}: bind-recursive=${rec} is not supported (binds are recursive)`);
  if (kv.has('volume-driver') && kv.get('volume-driver') !== 'local') throw new InvalidArgumentError(`${flag}: volume-driver "${kv.get('volume-driver')}" does not exist here; berth has "local"`);

  if (type === 'bind') {
    only(['volume-nocopy', 'volume-subpath', 'volume-opt', 'tmpfs-size', 'tmpfs-mode'], 'volume or tmpfs');
    if (!source) throw new InvalidArgumentError(`${flag}: type=bind needs a source (a host path)`);
    // Unlike -v, --mount does not make a missing host path: the daemon refuses it.
    add({ hostPath: { path: resolve(cwd, source) } }, { mountPath, readOnly });
  } else if (type === 'volume') {
    only(['bind-propagation', 'bind-recursive', 'tmpfs-size', 'tmpfs-mode'], 'bind or tmpfs');
    const noCopy = kv.has('volume-nocopy') ? bool(kv.get('volume-nocopy'), 'volume-nocopy', flag) : false;
    const subPath = kv.get('volume-subpath');
    if (!source) {
      if (readOnly || subPath || Object.keys(volumeOpts).length) throw new InvalidArgumentError(`${flag}: an anonymous volume (no source) cannot be read-only, have a subpath or volume options; name it`);
      out.anonymousVolumes.push(mountPath);
      return;
    }
    checkVolumeName(source, flag);
    if (Object.keys(volumeOpts).length) out.create.push({ name: source, driverOpts: volumeOpts });
    add({ persistentVolumeClaim: { claimName: source } }, { mountPath, readOnly, ...(noCopy ? { noCopy } : {}), ...(subPath ? { subPath } : {}) });
  } else if (type === 'tmpfs') {
    only(['volume-nocopy', 'volume-subpath', 'volume-opt', 'bind-propagation', 'bind-recursive'], 'volume or bind');
    if (source) throw new InvalidArgumentError(`${flag}: a tmpfs has no source`);
    const size = kv.get('tmpfs-size');
    const mode = kv.get('tmpfs-mode');
    if (size !== undefined && !/^\d+[kmgKMG]?[bB]?$/.test(size)) throw new InvalidArgumentError(`${flag}: tmpfs-size "${size}" is not a size (bytes, or e.g. 64m)`);
    if (mode !== undefined && !/^[0-7]{3,4}$/.test(mode)) throw new InvalidArgumentError(`${flag}: tmpfs-mode "${mode}" is not an octal mode (e.g. 1770)`);
    const options = [...DOCKER_TMPFS, ...(size ? [`size=${size.replace(/[bB]$/, '')}`] : []), ...(mode ? [`mode=${mode}`] : [])];
    add({ emptyDir: { medium: 'Memory', mountOptions: options } }, { mountPath, readOnly });
  } else {
    throw new InvalidArgumentError(`${flag}: type "${type}" is not bind, volume or tmpfs`);
  }
}
