// `berth daemon`'s flags and environment variables, turned into settings in the file's form (so
// the same schema validates them, and a value given both ways compares equal when it means the
// same). Flag names follow dockerd's where it has one (--data-root, -H/--host, --registry-mirror,
// --insecure-registry, --log-level, --label, --log-opt, --max-concurrent-*), and berth's first
// ones stay (--root, --socket).
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError } from '../../specs/errdefs.ts';
import type { DaemonConfig } from './schema.ts';
import type { GivenSettings } from './settings.ts';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function addDaemonFlags(cmd: Command): Command {
  return (
    cmd
      .option('--config-file <path>', 'daemon configuration file (default /etc/berth/daemon.json)')
      .option('--validate', 'check the configuration file and flags, then exit (nothing is started)')
      .option('--data-root <dir>', 'data root: state.db, content, containers, ... (default /var/lib/berth)')
      .option('--root <dir>', 'the same as --data-root')
      // Also here, after the verb, as every verb of the CLI takes it.
      .option('--socket <path>', 'API socket (or host:port on loopback); default $BERTH_SOCKET or /run/berth/berth.sock')
      .option('-H, --host <addr>', 'the same as --socket, written unix:///path or tcp://127.0.0.1:port')
      .option('--docker-socket <path>', "serve Docker's Engine API on this unix socket (default: docker.sock beside a unix API socket, /run/berth/docker.sock; \"\" for none)")
      .option('-G, --group <name>', "group of the API socket (0660) when it is not systemd's (default berth; a missing default group leaves it root's)")
      .option('--watch <dir>', 'apply every manifest under DIR and follow its changes (repeatable)', collect)
      .option('--metrics-addr <host:port>', 'serve Prometheus metrics on HOST:PORT')
      .option('--runtime <name>', "container runtime: native (berth's own launcher, the default), runc, or none (store objects only); keep one per root")
      .option('--cgroup-parent <name>', 'cgroup under which containers are placed (default berth)')
      .option('--cni-path <dirs>', 'colon-separated directories to look for CNI plugins in first (default $CNI_PATH), then /opt/cni/bin, /usr/lib/cni, /usr/libexec/cni')
      .option('--insecure-registry <host:port>', 'reach this registry over plain http (repeatable; loopback ones always are)', collect)
      .option('--registry-mirror <url>', 'pull Docker Hub images through this mirror first (repeatable, tried in order)', collect)
      .option('-l, --log-level <level>', 'debug, info, warn or error (default info; or $BERTH_LOG_LEVEL)')
      .option('--log-opt <key=value>', 'container log option: max-size=10m (repeatable)', collect)
      .option('--label <key=value>', 'a label of this daemon, shown by `berth info` (repeatable)', collect)
      .option('--max-concurrent-downloads <n>', 'layers pulled at once per pull (default 3)')
      .option('--max-concurrent-uploads <n>', 'layers pushed at once per push (default 5)')
  );
}

export interface DaemonFlags {
  configFile?: string;
  validate?: boolean;
  dataRoot?: string;
  root?: string;
  socket?: string;
  host?: string;
  dockerSocket?: string;
  group?: string;
  watch?: string[];
  metricsAddr?: string;
  runtime?: string;
  cgroupParent?: string;
  cniPath?: string;
  insecureRegistry?: string[];
  registryMirror?: string[];
  logLevel?: string;
  logOpt?: string[];
  label?: string[];
  maxConcurrentDownloads?: string;
  maxConcurrentUploads?: string;
}

/** --socket's forms (a path, host:port, :port) as a daemon.json host. */
export function socketAsHost(socket: string): string {
  if (/^(unix|tcp|fd):\/\//.test(socket)) return socket;
  const m = /^(\[[^\]]+\]|[^/:]*):(\d+)$/.exec(socket);
  if (m) return `tcp://${m[1] || '127.0.0.1'}:${m[2]}`;
  return `unix://${resolve(socket)}`;
}

/** A number when it reads as one, else the text (the schema then says it is not an integer). */
const numberOr = (v: string) => (/^\d+$/.test(v) ? Number(v) : v);

export function givenFromFlags(f: DaemonFlags): GivenSettings {
  if (f.root !== undefined && f.dataRoot !== undefined && resolve(f.root) !== resolve(f.dataRoot)) {
    throw new InvalidArgumentError(`--root ${f.root} and --data-root ${f.dataRoot} name two data roots; give one`);
  }
  if (f.socket !== undefined && f.host !== undefined && socketAsHost(f.socket) !== socketAsHost(f.host)) {
    throw new InvalidArgumentError(`--socket ${f.socket} and --host ${f.host} name two addresses; give one`);
  }
  const config: Record<string, unknown> = {};
  const how: Record<string, string> = {};
  const set = (key: keyof DaemonConfig, flag: string, value: unknown) => {
    if (value === undefined) return;
    config[key] = value;
    how[key] = `flag --${flag}`;
  };
  set('data-root', f.dataRoot !== undefined ? 'data-root' : 'root', (f.dataRoot ?? f.root) !== undefined ? resolve((f.dataRoot ?? f.root)!) : undefined);
  const host = f.host ?? f.socket;
  set('hosts', f.host !== undefined ? 'host' : 'socket', host !== undefined ? [socketAsHost(host)] : undefined);
  set('docker-socket', 'docker-socket', f.dockerSocket !== undefined && f.dockerSocket !== '' ? resolve(f.dockerSocket) : f.dockerSocket);
  set('group', 'group', f.group);
  set('watch', 'watch', f.watch?.map((d) => resolve(d)));
  set('metrics-addr', 'metrics-addr', f.metricsAddr);
  set('runtime', 'runtime', f.runtime);
  set('cgroup-parent', 'cgroup-parent', f.cgroupParent);
  set('cni-path', 'cni-path', f.cniPath?.split(':').filter(Boolean).map((d) => resolve(d)));
  set('insecure-registries', 'insecure-registry', f.insecureRegistry);
  set('registry-mirrors', 'registry-mirror', f.registryMirror);
  set('log-level', 'log-level', f.logLevel);
  set('labels', 'label', f.label);
  set('max-concurrent-downloads', 'max-concurrent-downloads', f.maxConcurrentDownloads !== undefined ? numberOr(f.maxConcurrentDownloads) : undefined);
  set('max-concurrent-uploads', 'max-concurrent-uploads', f.maxConcurrentUploads !== undefined ? numberOr(f.maxConcurrentUploads) : undefined);
  if (f.logOpt) {
    const opts = Object.fromEntries(f.logOpt.map((o) => (o.includes('=') ? [o.slice(0, o.indexOf('=')), o.slice(o.indexOf('=') + 1)] : [o, ''])));
    set('log-opts', 'log-opt', opts);
  }
  return { config: config as DaemonConfig, how };
}

export function givenFromEnv(env: NodeJS.ProcessEnv): GivenSettings {
  const config: Record<string, unknown> = {};
  const how: Record<string, string> = {};
  if (env.BERTH_SOCKET) {
    config.hosts = [socketAsHost(env.BERTH_SOCKET)];
    how.hosts = '$BERTH_SOCKET';
  }
  if (env.BERTH_LOG_LEVEL) {
    config['log-level'] = env.BERTH_LOG_LEVEL;
    how['log-level'] = '$BERTH_LOG_LEVEL';
  }
  return { config: config as DaemonConfig, how };
}
