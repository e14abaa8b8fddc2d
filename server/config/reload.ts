// A reload (SIGHUP, `systemctl reload berth`): the settings are read again. An invalid file (or
// flags) changes nothing: the running settings are kept whole and the problems logged, each with
// its key and place. A valid one is applied as far as a running daemon can apply it: the live
// keys (LIVE_KEYS) at once; a changed restart-only key keeps its running value and is reported as
// needing a restart, in the log and in `berth info`. Containers are not touched either way.
import type { DaemonContext, ReloadStatus } from '../context.ts';
import { mirrorsOf } from './options.ts';
import { LIVE_KEYS } from './schema.ts';
import { changedKeys, keepOnReload, type Settings } from './settings.ts';
import { isoTime } from '../../specs/timestamps.ts';

export async function reloadDaemon(ctx: DaemonContext, read: () => Promise<Settings>): Promise<ReloadStatus> {
  const at = isoTime();
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
  const all = changedKeys(current, next);
  const changed = all.filter((k) => LIVE_KEYS.has(k));
  const needsRestart = all.filter((k) => !LIVE_KEYS.has(k));
  const v = next.values;
  // The one live change that can fail (a directory that is not there) goes first: nothing else
  // is applied when it fails.
  if (changed.includes('watch') && ctx.watches) {
    try {
      await ctx.watches.set(v.watch);
    } catch (err) {
      return refuse({ changed, ...(needsRestart.length ? { needsRestart } : {}), error: (err as Error).message });
    }
  }
  ctx.log.setLevel(v['log-level']);
  ctx.images?.configure({
    insecureRegistries: v['insecure-registries'],
    registryMirrors: mirrorsOf(v),
    certsDir: v['certs-dir'],
    maxConcurrentDownloads: v['max-concurrent-downloads'],
    maxConcurrentUploads: v['max-concurrent-uploads'],
  });
  ctx.options = {
    ...ctx.options,
    watch: v.watch,
    insecureRegistries: v['insecure-registries'],
    registryMirrors: mirrorsOf(v),
    certsDir: v['certs-dir'],
    maxConcurrentDownloads: v['max-concurrent-downloads'],
    maxConcurrentUploads: v['max-concurrent-uploads'],
    labels: v.labels,
    settings: keepOnReload(current, next, needsRestart),
  };
  ctx.log.info('configuration reloaded', { changed: changed.length ? changed.join(',') : 'nothing' });
  if (needsRestart.length) {
    ctx.log.warn(`${needsRestart.join(', ')} changed in the configuration but cannot change while the daemon runs; the running values are kept until a restart (systemctl restart berth)`, {
      needsRestart: needsRestart.join(','),
    });
  }
  return (ctx.lastReload = { at, applied: true, changed, ...(needsRestart.length ? { needsRestart } : {}) });
}
