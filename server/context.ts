// What every part of the daemon is handed: the data root, the store, the event recorder, the
// logger, and the services. Other parts add their service as a field here (images, runtime,
// network, builder, controllers...) and build it in server/daemon.ts's composeDaemon().
import type { EngineSettings } from '../engine/wire.ts';
import type { Controllers } from '../controllers/wire.ts';
import type { Engine } from '../engine/engine.ts';
import type { NetworkManager } from '../engine/network/network-manager.ts';
import type { Store } from '../store/store.ts';
import type { EventRecorder } from './events.ts';
import type { Settings } from './config/settings.ts';
import type { ConfigKey } from './config/schema.ts';
import type { Logger } from './log.ts';

/** The unix socket's group (dockerd's --group): a missing group is an error only when it was asked for. */
export interface SocketGroup {
  name: string;
  required: boolean;
}

/** How a reload (SIGHUP) went (server/config/reload.ts): `berth info` shows the last one. */
export interface ReloadStatus {
  at: string;
  /** Whether the settings read were applied (the live ones; restart-only changes wait in needsRestart). */
  applied: boolean;
  /** The keys whose values changed and were applied (or, when refused, would have been). */
  changed: ConfigKey[];
  /** Keys the file changes that only a restart applies: they keep their running values until then. */
  needsRestart?: ConfigKey[];
  error?: string;
}

export interface DaemonOptions extends EngineSettings {
  /** Data root: state.db, content/, snapshots/, containers/, runtime/, networks/, volumes/, build/. */
  root: string;
  /** Unix socket path, or host:port for TCP (tests, debugging). */
  socket: string;
  /** Where Docker's Engine API is served (a unix socket, 0660, the same group); absent: not served. */
  dockerSocket?: string;
  /** The group of the unix socket (0660); absent: root's. Socket-activated, systemd sets it (berth.socket). */
  socketGroup?: SocketGroup;
  /** Directories watched for manifests (GitOps). */
  watch: string[];
  /** Where /metrics is served (the metrics endpoint belongs to the controllers' part). */
  metricsAddr?: string;
  /** The container runtime: berth's native launcher, runc, or none (a daemon that only stores objects). */
  runtime?: 'native' | 'runc' | 'none';
  /** Registries (host:port) reached over plain http although they are not on loopback. */
  insecureRegistries?: string[];
  /** cgroup parent of the containers (default "berth"). */
  cgroupParent?: string;
  /** Directories to look for CNI plugins in first (--cni-path; else $CNI_PATH), before the usual places. */
  cniPath?: string[];
  /** The daemon's labels (key=value), shown by `berth info`. */
  labels?: string[];
  /** The settings these options came from (daemon.json, flags), with their sources: `berth info`, reload. */
  settings?: Settings;
}

export interface DaemonContext {
  root: string;
  options: DaemonOptions;
  store: Store;
  events: EventRecorder;
  log: Logger;
  /** berth's version (package.json). */
  version: string;
  /** The container engine (images, bundles, runtime); absent when the daemon runs without one. */
  engine?: Engine;
  /** Every verb on images, builds and registry logins, for any API (server/services/images.ts); present with an engine. */
  images?: import('./services/images.ts').ImageService;
  /** Networks (CNI) under <root>/networks: `berth network ...`; the engine attaches containers through it. */
  networks?: NetworkManager;
  /** `network connect|disconnect`, for any API (server/services/networks.ts); present once the controllers run, with networks. */
  networkService?: import('./services/networks.ts').NetworkService;
  /** Every verb on volumes, for any API (server/services/volumes.ts); present with an engine. */
  volumes?: import('./services/volumes.ts').VolumeService;
  /** The reconcile loops, /metrics; started in the background once the API is up (with an engine). */
  controllers?: Controllers;
  /** Every verb on containers, for any API (server/services/containers.ts); present once the controllers run. */
  containers?: import('./services/containers.ts').ContainerService;
  /** Attach, resize and exec sessions (server/services/attach.ts); present once the controllers run. */
  streams?: import('./services/attach.ts').StreamService;
  /** The watched manifest directories; started in the background, changed by a reload. */
  watches?: import('./watch.ts').WatchSet;
  /** How the last reload (SIGHUP) went: `berth info` shows it. */
  lastReload?: ReloadStatus;
  /**
   * Work to run on shutdown, last registered first (close watchers, stop loops...). Services
   * register here when composed; the daemon awaits each in turn on SIGTERM/SIGINT.
   */
  onShutdown(fn: () => Promise<void> | void): void;
}
