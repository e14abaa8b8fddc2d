// The settings in force: each key's value and where it came from — a flag, an environment
// variable, the file, or berth's default. Flags (and $BERTH_SOCKET, $BERTH_LOG_LEVEL) override
// the file; a key given both ways with different values is refused, as dockerd refuses it, since
// one of the two is not what its writer expects. Cross-key checks run on the merged result.
import { isDeepStrictEqual } from 'node:util';
import { isLoopbackRegistry } from '../../engine/images/reference.ts';
import { ConfigInvalidError, validateConfig, type ConfigProblem, type LoadedConfig } from './load.ts';
import { CONFIG_KEYS, LIVE_KEYS, type ConfigKey, type DaemonConfig } from './schema.ts';

import type { DaemonSetting, SettingSource } from '../../specs/api/system.ts';

export type { SettingSource };

/** Settings given outside the file: their values in the file's form, and how each was given (e.g. "flag --root"). */
export interface GivenSettings {
  config: DaemonConfig;
  /** Per key: "flag --registry-mirror", "$BERTH_SOCKET". */
  how: Partial<Record<ConfigKey, string>>;
}

type Defaulted = 'data-root' | 'hosts' | 'registry-mirrors' | 'registry-hosts' | 'insecure-registries' | 'log-level' | 'log-driver' | 'log-opts' | 'live-restore' | 'max-concurrent-downloads' | 'max-concurrent-uploads' | 'labels' | 'cgroup-parent' | 'watch' | 'runtime' | 'certs-dir' | 'group';
export type EffectiveConfig = DaemonConfig & Required<Pick<DaemonConfig, Defaulted>>;

export const DEFAULTS: Required<Pick<DaemonConfig, Defaulted>> = {
  'data-root': '/var/lib/berth',
  hosts: ['unix:///run/berth/berth.sock'],
  'registry-mirrors': [],
  'registry-hosts': {},
  'insecure-registries': [],
  'log-level': 'info',
  'log-driver': 'json-file',
  'log-opts': { 'max-size': '10m', 'max-file': '2' },
  'live-restore': true,
  'max-concurrent-downloads': 3,
  'max-concurrent-uploads': 5,
  labels: [],
  'cgroup-parent': 'berth',
  watch: [],
  runtime: 'native',
  'certs-dir': '/etc/berth/certs.d',
  group: 'berth',
};

export interface Settings {
  /** Every setting in force (defaults filled in). */
  values: EffectiveConfig;
  sources: Record<string, SettingSource>;
  /** Where each key not defaulted was given: file:line:col, "flag --x", "$VAR". */
  where: Record<string, string>;
  /** The configuration file read, if there was one. */
  file?: string;
  /** Per restart-only key the file changed since the start: the value a restart will apply. */
  pending?: Partial<Record<ConfigKey, unknown>>;
}

export interface ResolveInput {
  file?: LoadedConfig;
  flags?: GivenSettings;
  env?: GivenSettings;
}

const plural = (n: number) => `${n} problem${n === 1 ? '' : 's'}`;

function validateGiven(given: GivenSettings | undefined, problems: ConfigProblem[]): DaemonConfig {
  if (!given) return {};
  const { config, problems: found } = validateConfig(given.config, (path) => given.how[path[0] as ConfigKey] ?? 'command line', false);
  problems.push(...found);
  return config ?? {};
}

export function resolveSettings(input: ResolveInput): Settings {
  const problems: ConfigProblem[] = [];
  const flags = validateGiven(input.flags, problems);
  const env = validateGiven(input.env, problems);
  const file = input.file?.config ?? {};
  // A key's own place for the key itself; the place of the value for what is inside it.
  const fileAt = (path: Array<string | number>) => {
    const l = input.file!.json.locate(path, path.length === 1);
    return `${l.file}:${l.line}:${l.col}`;
  };
  const values: Record<string, unknown> = { ...DEFAULTS };
  const sources: Record<string, SettingSource> = Object.fromEntries(Object.keys(DEFAULTS).map((k) => [k, 'default']));
  const where: Record<string, string> = {};
  for (const key of CONFIG_KEYS) {
    const given = flags[key] !== undefined ? { v: flags[key], src: 'flag' as const, how: input.flags!.how[key]! } : env[key] !== undefined ? { v: env[key], src: 'env' as const, how: input.env!.how[key]! } : undefined;
    if (given && file[key] !== undefined && !isDeepStrictEqual(given.v, file[key])) {
      problems.push({
        where: fileAt([key]),
        message: `${key} is given both in the file (${JSON.stringify(file[key])}) and as ${given.how} (${JSON.stringify(given.v)}); keep one of the two`,
      });
    }
    if (given) {
      values[key] = given.v;
      sources[key] = given.src;
      where[key] = given.how;
    } else if (file[key] !== undefined) {
      values[key] = file[key];
      sources[key] = 'file';
      where[key] = fileAt([key]);
    }
  }
  // Log options given in part keep the defaults of the others (so equal settings compare equal).
  values['log-opts'] = { ...DEFAULTS['log-opts'], ...(values['log-opts'] as object) };
  const settings: Settings = { values: values as EffectiveConfig, sources, where, ...(input.file ? { file: input.file.file } : {}) };
  problems.push(...crossChecks(settings, (key, path) => (sources[key] === 'file' ? fileAt([key, ...path]) : where[key]!)));
  if (problems.length) {
    const origin = input.file ? `${input.file.file} and the command line` : 'the command line';
    throw new ConfigInvalidError(problems, `${plural(problems.length)} in the daemon's settings (${origin})`);
  }
  return settings;
}

/** Checks that span keys: a plain-http mirror must be a registry berth may reach over http. */
function crossChecks(s: Settings, at: (key: ConfigKey, path: Array<string | number>) => string): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const insecure = new Set(s.values['insecure-registries']);
  const plainOk = (url: string) => {
    const u = new URL(url);
    return u.protocol === 'https:' || isLoopbackRegistry(u.host) || insecure.has(u.host);
  };
  s.values['registry-mirrors'].forEach((m, i) => {
    if (!plainOk(m)) out.push({ where: at('registry-mirrors', [i]), message: `registry-mirrors[${i}]: ${m} is plain http; use https, or list ${new URL(m).host} in insecure-registries` });
  });
  for (const [host, h] of Object.entries(s.values['registry-hosts'])) {
    if (host === 'docker.io') out.push({ where: at('registry-hosts', [host]), message: 'registry-hosts."docker.io": give Docker Hub\'s mirrors in registry-mirrors' });
    h.mirrors.forEach((m, i) => {
      if (!plainOk(m)) out.push({ where: at('registry-hosts', [host, 'mirrors', i]), message: `registry-hosts."${host}".mirrors[${i}]: ${m} is plain http; use https, or list ${new URL(m).host} in insecure-registries` });
    });
  }
  const labels = new Map<string, string>();
  s.values.labels.forEach((l, i) => {
    const [k, v] = [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)];
    if (labels.has(k) && labels.get(k) !== v) out.push({ where: at('labels', [i]), message: `labels[${i}]: label "${k}" is given twice with different values` });
    labels.set(k, v);
  });
  return out;
}

/** The keys whose values differ between two settings. */
export function changedKeys(a: Settings, b: Settings): ConfigKey[] {
  return CONFIG_KEYS.filter((k) => !isDeepStrictEqual(a.values[k], b.values[k]));
}

/**
 * The settings in force after a reload: `next` (the file read again), except for the keys in
 * `keep`, which only a restart can change: those stay as `current` has them, and what the file
 * asks for is kept as pending.
 */
export function keepOnReload(current: Settings, next: Settings, keep: ConfigKey[]): Settings {
  if (!keep.length) return next;
  const out: Settings = { values: { ...next.values }, sources: { ...next.sources }, where: { ...next.where }, ...(next.file ? { file: next.file } : {}), pending: {} };
  const values = out.values as Record<string, unknown>;
  for (const k of keep) {
    out.pending![k] = next.values[k];
    values[k] = current.values[k];
    out.sources[k] = current.sources[k] ?? 'default';
    if (current.where[k]) out.where[k] = current.where[k]!;
    else delete out.where[k];
  }
  return out;
}

/** The settings as `berth info` lists them. */
export function describeSettings(s: Settings): DaemonSetting[] {
  return CONFIG_KEYS.filter((k) => s.values[k] !== undefined).map((k) => ({
    key: k,
    value: s.values[k],
    source: s.sources[k] ?? 'default',
    ...(s.where[k] ? { where: s.where[k] } : {}),
    live: LIVE_KEYS.has(k),
    ...(s.pending && k in s.pending ? { pending: s.pending[k] } : {}),
  }));
}
