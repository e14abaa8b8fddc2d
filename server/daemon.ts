// The daemon: composes the services into a DaemonContext (composeDaemon — the one place where
// parts are wired together; add your service there), serves the API, stops cleanly on a signal.
import { join, resolve } from 'node:path';
import type { Engine } from '../engine/engine.ts';
import { networkPort } from '../engine/network/engine-adapter.ts';
import { cniSearchPath } from '../engine/network/cni.ts';
import { NetworkManager } from '../engine/network/network-manager.ts';
import { Store } from '../store/store.ts';
import type { DaemonContext, DaemonOptions, ReloadStatus } from './context.ts';
import { EventRecorder } from './events.ts';
import { startServer, type ApiServer } from './http.ts';
import { createLogger, type Logger } from './log.ts';
import { allRoutes } from './routes/index.ts';
import { WatchSet } from './watch.ts';
import { berthVersion } from '../specs/version.ts';
import { reloadDaemon } from './config/reload.ts';
import { reduceMemoryWhenQuiet } from './idle-memory.ts';
import type { Settings } from './config/settings.ts';

export const DEFAULT_ROOT = '/var/lib/berth';
export const DEFAULT_SOCKET = '/run/berth/berth.sock';

export interface Daemon {
  ctx: DaemonContext;
  server: ApiServer;
  /** Stops serving, runs the shutdown hooks (last registered first), closes the store. */
  stop(): Promise<void>;
  /** Re-reads the settings and applies those that can change live, or keeps the running ones (server/config/reload.ts). */
  reload(read: () => Promise<Settings>): Promise<ReloadStatus>;
}

/**
 * Builds every service and the context that carries them. Order matters only where one service
 * needs another: build it after what it uses, and register its shutdown in ctx.onShutdown.
 */
/** Services given ready-made instead of built here (tests; another runtime). */
export interface DaemonServices {
  engine?: Engine;
  /** The network manager the engine attaches containers through (default: one on <root>/networks). */
  networks?: NetworkManager;
}

export async function composeDaemon(
  options: DaemonOptions,
  log: Logger,
  services: DaemonServices = {},
): Promise<{ ctx: DaemonContext; shutdown: () => Promise<void> }> {
  const root = resolve(options.root);
  const hooks: Array<() => Promise<void> | void> = [];
  const store = new Store(join(root, 'state.db'));
  hooks.push(() => store.close());
  const ctx: DaemonContext = {
    root,
    options: { ...options, root },
    store,
    events: new EventRecorder(store, 'berth'),
    log,
    version: berthVersion(),
    onShutdown: (fn) => void hooks.push(fn),
  };
  // Services are added here, e.g. ctx.images = new ImageService(...); ctx.onShutdown(() => ...).
  // Cheap to build (it touches nothing until used). The engine attaches containers through this
  // same instance; once the engine knows its containers, gc() undoes what a crash left behind.
  const networks = services.networks ?? new NetworkManager({ root: join(root, 'networks'), cniPath: cniSearchPath(options.cniPath), log: log.child({ component: 'network' }) });
  ctx.networks = networks;
  hooks.push(() => networks.close());
  if (services.engine) ctx.engine = services.engine;
  else if (options.runtime && options.runtime !== 'none') {
    const { createEngine } = await import('../engine/wire.ts');
    const { Builder } = await import('../engine/builder/builder.ts');
    const { engineBuilderPort } = await import('../engine/builder/engine-adapter.ts');
    const { ImageService } = await import('./services/images.ts');
    let builder: InstanceType<typeof Builder> | undefined;
    const parts = await createEngine({
      root,
      runtime: options.runtime,
      insecureRegistries: options.insecureRegistries ?? [],
      registryMirrors: options.registryMirrors ?? {},
      ...(options.certsDir ? { certsDir: options.certsDir } : {}),
      ...(options.maxConcurrentDownloads ? { maxConcurrentDownloads: options.maxConcurrentDownloads } : {}),
      ...(options.maxConcurrentUploads ? { maxConcurrentUploads: options.maxConcurrentUploads } : {}),
      ...(options.logMaxBytes ? { logMaxBytes: options.logMaxBytes } : {}),
      ...(options.logMaxFiles ? { logMaxFiles: options.logMaxFiles } : {}),
      log: log.child({ component: 'images' }),
      ...(options.cgroupParent ? { cgroupParent: options.cgroupParent } : {}),
      network: networkPort(networks),
      declaredVolume: (name) => {
        const r = store.get('Volume', name);
        return r && r.kind === 'Volume' ? { uid: r.metadata.uid, spec: r.spec, ...(r.metadata.labels ? { labels: r.metadata.labels } : {}) } : undefined;
      },
      builder: (images, runtime) => {
        // RUN containers under the daemon's cgroup parent, beside its containers.
        builder = new Builder(images, runtime, { root, cgroupParent: `${options.cgroupParent ?? 'berth'}/build` });
        return engineBuilderPort(builder);
      },
    });
    ctx.engine = parts.engine;
    const { VolumeService } = await import('./services/volumes.ts');
    ctx.volumes = new VolumeService({ store, host: parts.volumes, sizeOf: (name) => ctx.controllers?.volumes?.sizeOf(name) });
    ctx.images = new ImageService({
      store: parts.images,
      containers: parts.engine,
      ...(builder ? { builder } : {}),
      insecureRegistries: options.insecureRegistries ?? [],
      ...(options.certsDir ? { certsDir: options.certsDir } : {}),
    });
    ctx.onShutdown(() => parts.images.registry.close());
    ctx.onShutdown(() => parts.runtime.close?.());
    // Attachments of containers the engine no longer has (removed while the daemon was down, or
    // it was killed between the two): CNI DEL from their cached results, namespaces released.
    // A Pod's sandbox is an attachment of its own (its id is not a container's): kept too.
    const cleaned = await networks.gc([...(await parts.engine.list()).map((c) => c.id), ...(await parts.engine.listSandboxes()).map((s) => s.id)]);
    if (cleaned.length) log.info('released network attachments of containers that are gone', { containers: cleaned });
    // RUN containers and work directories of builds a killed daemon left.
    await builder?.recover().catch((err) => log.warn('cannot clean what interrupted builds left', { error: String(err) }));
  }
  const shutdown = async () => {
    for (const fn of hooks.reverse().splice(0)) {
      try {
        await fn();
      } catch (err) {
        log.error('shutdown step failed', { error: err });
      }
    }
  };
  return { ctx, shutdown };
}

/** Starts what runs in the background once the API is up: directory watchers (then controllers). */
async function startBackground(ctx: DaemonContext): Promise<void> {
  // The reconcile loops first: they enqueue every stored object (re-adopting running containers),
  // and then see each object the watchers apply through the store's feed.
  if (ctx.engine) {
    const { startControllers } = await import('../controllers/wire.ts');
    const controllers = await startControllers({
      store: ctx.store,
      events: ctx.events.for('controller'),
      engine: ctx.engine,
      log: ctx.log.child({ component: 'controller' }),
      ...(ctx.volumes ? { volumes: ctx.volumes.host } : {}),
    });
    ctx.controllers = controllers;
    const { ContainerService } = await import('./services/containers.ts');
    const { checkBindSources } = await import('../engine/volumes/container-mounts.ts');
    ctx.containers = new ContainerService({
      store: ctx.store,
      lifecycles: controllers.containers,
      engine: ctx.engine,
      ...(ctx.volumes ? { volumes: ctx.volumes, preflight: checkBindSources } : {}),
      ...(ctx.images ? { images: ctx.images } : {}),
    });
    if (ctx.networks) {
      const { NetworkService } = await import('./services/networks.ts');
      const containers = ctx.containers;
      ctx.networkService = new NetworkService({ store: ctx.store, networks: ctx.networks, lifecycles: controllers.containers, resolve: (ref) => containers.resolve(ref) });
    }
    const { StreamService } = await import('./services/attach.ts');
    ctx.streams = new StreamService({ store: ctx.store, lifecycles: controllers.containers, engine: ctx.engine });
    ctx.onShutdown(() => controllers.stop());
  }
  if (ctx.options.metricsAddr) {
    const { BerthMetrics } = await import('../controllers/metrics.ts');
    const { serveMetrics } = await import('./metrics-server.ts');
    const srv = await serveMetrics(ctx.controllers?.metrics ?? new BerthMetrics(), ctx.options.metricsAddr);
    ctx.controllers?.containers.collectStatsAlways();
    if (ctx.controllers) ctx.log.info('serving metrics', { url: srv.url });
    else ctx.log.warn('no container engine: serving controller metrics only', { url: srv.url });
    ctx.onShutdown(() => srv.close());
  }
  const watches = new WatchSet({ store: ctx.store, events: ctx.events.for('watch'), log: ctx.log });
  ctx.watches = watches;
  ctx.onShutdown(() => watches.stop());
  await watches.set(ctx.options.watch);
}

export async function startDaemon(options: DaemonOptions, log: Logger = createLogger(), services: DaemonServices = {}): Promise<Daemon> {
  const { ctx, shutdown } = await composeDaemon(options, log, services);
  let server: ApiServer;
  try {
    server = await startServer(allRoutes(ctx), options.socket, log, options.socketGroup ? { group: options.socketGroup } : {});
  } catch (err) {
    await shutdown();
    throw err;
  }
  let docker: ApiServer | undefined;
  if (options.dockerSocket) {
    try {
      const { serveDockerApi } = await import('./docker-api/serve.ts');
      docker = await serveDockerApi(ctx, options.dockerSocket, options.socketGroup ? { group: options.socketGroup } : {});
    } catch (err) {
      await server.close();
      await shutdown();
      throw err;
    }
  }
  log.info('berth daemon serving', { version: ctx.version, root: ctx.root, socket: server.address, ...(docker ? { dockerSocket: docker.address } : {}), pid: process.pid });
  try {
    await startBackground(ctx);
  } catch (err) {
    await docker?.close();
    await server.close();
    await shutdown();
    throw err;
  }
  let stopping: Promise<void> | undefined;
  let reloading = Promise.resolve() as Promise<unknown>;
  return {
    ctx,
    server,
    // One reload at a time: a second SIGHUP waits for the first.
    reload: (read) => (reloading = reloading.catch(() => undefined).then(() => reloadDaemon(ctx, read))) as Promise<ReloadStatus>,
    stop: () =>
      (stopping ??= (async () => {
        await docker?.close();
        await server.close();
        await shutdown();
        log.info('berth daemon stopped');
      })()),
  };
}

/**
 * `berth daemon`: runs in the foreground until SIGTERM or SIGINT; SIGHUP (`systemctl reload berth`)
 * re-reads the settings with `reread`.
 */
export async function runDaemon(options: DaemonOptions, reread?: () => Promise<Settings>): Promise<void> {
  const log = createLogger({ level: options.settings?.values['log-level'] ?? 'info' });
  // SIGTERM and SIGINT are taken before the daemon starts: its API answers before startDaemon()
  // returns (the background work starts after it), and a signal there killed the process instead
  // of stopping it (seen under load: an apply accepted, then SIGINT, exit by the signal). A second
  // one while it stops kills it, as before.
  let stopping: NodeJS.Signals | undefined;
  let wake: (() => void) | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    log.info('stopping', { signal: sig });
    stopping = sig;
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    wake?.();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  let daemon: Daemon;
  try {
    daemon = await startDaemon(options, log);
  } catch (err) {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    throw err;
  }
  const stopReducing = reduceMemoryWhenQuiet(log);
  const onHangup = () => {
    log.info('reloading the configuration', { signal: 'SIGHUP', file: options.settings?.file });
    if (reread) void daemon.reload(reread).catch((err) => log.error('configuration reload failed; the running settings are kept', { error: err }));
  };
  process.on('SIGHUP', onHangup);
  if (!stopping) await new Promise<void>((resolve) => (wake = resolve));
  stopReducing();
  process.off('SIGHUP', onHangup);
  await daemon.stop();
}
