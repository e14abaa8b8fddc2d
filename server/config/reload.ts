// A reload (SIGHUP, `systemctl reload berth`): the settings are read again and, if they are valid
// and change only what can change in a running daemon (LIVE_KEYS), applied at once; otherwise the
// running settings are kept whole and the refusal is logged, naming the problem or the keys that
// need a restart. Containers are not touched either way.
import type { DaemonContext } from '../context.ts';
import { mirrorsOf } from './options.ts';
import { LIVE_KEYS, type ConfigKey } from './schema.ts';
import { changedKeys, type Settings } from './settings.ts';

export interface ReloadStatus {
  at: string;
  /** Whether the settings read were applied. */
  applied: boolean;
  /** The keys whose values changed (applied, or not when refused). */
  changed: ConfigKey[];
  /** Keys changed in the file that only a restart applies (the reload was refused for them). */
  needsRestart?: ConfigKey[];
  error?: string;
}

export async function reloadDaemon(ctx: DaemonContext, read: () => Promise<Settings>): Promise<ReloadStatus> {
  const at = new Date().toISOString();
  const refuse = (status: Omit<ReloadStatus, 'at' | 'applied'>): ReloadStatus => {
    ctx.log.error(`configuration not reloaded; the running settings are kept: ${status.error}`);
    return (ctx.lastReload = { at, applied: false, ...status });
  };
  const current = ctx.options.settings;
  if (!current) return refuse({ changed: [], error: 'this daemon was not started from a configuration' });
  let next: Settings;
  try {
    next = await read();
  } catch (err) {
    return refuse({ changed: [], error: (err as Error).message });
  }
  const changed = changedKeys(current, next);
  const needsRestart = changed.filter((k) => !LIVE_KEYS.has(k));
  if (needsRestart.length) {
    return refuse({
      changed,
      needsRestart,
      error: `${needsRestart.join(', ')} cannot change while the daemon runs (restart it to apply: systemctl restart berth)`,
    });
  }
  const v = next.values;
  if (changed.includes('watch') && ctx.watches) {
    try {
      await ctx.watches.set(v.watch);
    } catch (err) {
      return refuse({ changed, error: (err as Error).message });
    }
  }
  ctx.log.setLevel(v['log-level']);
  ctx.images?.configure({
    insecureRegistries: v['insecure-registries'],
    registryMirrors: mirrorsOf(v),
    maxConcurrentDownloads: v['max-concurrent-downloads'],
    maxConcurrentUploads: v['max-concurrent-uploads'],
  });
  ctx.options = {
    ...ctx.options,
    watch: v.watch,
    insecureRegistries: v['insecure-registries'],
    registryMirrors: mirrorsOf(v),
    maxConcurrentDownloads: v['max-concurrent-downloads'],
    maxConcurrentUploads: v['max-concurrent-uploads'],
    labels: v.labels,
    settings: next,
  };
  ctx.log.info('configuration reloaded', { changed: changed.length ? changed.join(',') : 'nothing' });
  return (ctx.lastReload = { at, applied: true, changed });
}
