// Docker's container create body (POST /containers/create: Config, HostConfig, NetworkingConfig,
// as the docker CLI, docker-compose and the SDKs send it) → the `run` flags it stands for, then
// specs/docker/run.ts's one translation into a Container object. What the body asks and berth
// cannot apply is refused by name; what clients send empty by default (0, "", null, [], {}) passes.
import { InvalidArgumentError } from '../errdefs.ts';
import { escapeVars } from './command.ts';
import { dockerRunRequest, type DockerRunOptions, type DockerRunRequest } from './run.ts';

type Obj = Record<string, unknown>;

/** HostConfig fields berth cannot apply: refused when given a value other than their empty one. */
const UNSUPPORTED_HOST = [
  'CpuShares', 'CpuRealtimePeriod', 'CpuRealtimeRuntime', 'CpusetCpus', 'CpusetMems', 'CpuCount', 'CpuPercent',
  'BlkioWeight', 'BlkioWeightDevice', 'BlkioDeviceReadBps', 'BlkioDeviceWriteBps', 'BlkioDeviceReadIOps', 'BlkioDeviceWriteIOps',
  'MemoryReservation', 'KernelMemory', 'KernelMemoryTCP', 'OomScoreAdj', 'OomKillDisable', 'Devices', 'DeviceCgroupRules', 'DeviceRequests',
  'Ulimits', 'GroupAdd', 'Dns', 'DnsOptions', 'DnsSearch', 'Links', 'ShmSize', 'StorageOpt', 'ContainerIDFile', 'VolumeDriver',
  'IOMaximumIOps', 'IOMaximumBandwidth', 'MaskedPaths', 'ReadonlyPaths', 'Runtime', 'Cgroup', 'CgroupParent',
];
/** Namespace modes berth gives every container its own of: only their private values pass. */
const PRIVATE_MODES: Record<string, string[]> = { IpcMode: ['private', 'shareable'], PidMode: [], UTSMode: [], CgroupnsMode: ['private'] };
/** HostConfig fields berth applies (below), and those it may pass over: the first terminal size (a resize follows), Windows' isolation. */
const APPLIED_HOST = [
  'Binds', 'Mounts', 'Tmpfs', 'PortBindings', 'PublishAllPorts', 'RestartPolicy', 'AutoRemove', 'Memory', 'MemorySwap', 'MemorySwappiness',
  'NanoCpus', 'CpuQuota', 'CpuPeriod', 'PidsLimit', 'NetworkMode', 'CapAdd', 'CapDrop', 'Privileged', 'ReadonlyRootfs', 'SecurityOpt',
  'Sysctls', 'UsernsMode', 'Init', 'ExtraHosts', 'VolumesFrom', 'LogConfig', 'ConsoleSize', 'Isolation',
];
/**
 * Every HostConfig field berth knows: another (a client's typo, a later API's setting) that carries
 * a value is refused by name rather than passed over, since berth could not apply it (dockerd
 * ignores what it does not know).
 */
const KNOWN_HOST = new Set([...APPLIED_HOST, ...UNSUPPORTED_HOST, ...Object.keys(PRIVATE_MODES)]);

function empty(v: unknown): boolean {
  return v === undefined || v === null || v === '' || v === 0 || v === false || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && Object.keys(v as Obj).length === 0);
}

const obj = (v: unknown, where: string): Obj => {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new InvalidArgumentError(`${where} must be an object`);
  return v as Obj;
};

function strings(v: unknown, where: string): string[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new InvalidArgumentError(`${where} must be a list of strings`);
  return v as string[];
}

function str(v: unknown, where: string): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new InvalidArgumentError(`${where} must be a string`);
  return v;
}

function num(v: unknown, where: string): number | undefined {
  if (v === undefined || v === null || v === 0) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new InvalidArgumentError(`${where} must be a number`);
  return v;
}

/** Nanoseconds (Docker's durations) as seconds for the run flags ("30s"). */
const ns = (v: unknown, where: string) => {
  const n = num(v, where);
  return n === undefined ? undefined : `${Math.max(1, Math.ceil(n / 1e9))}s`;
};

/** A Mounts entry as the --mount text that says the same. */
function mountText(m: Obj, i: number): string {
  const where = `HostConfig.Mounts[${i}]`;
  const parts = [`type=${str(m.Type, `${where}.Type`) ?? 'volume'}`, `target=${str(m.Target, `${where}.Target`) ?? ''}`];
  const source = str(m.Source, `${where}.Source`);
  if (source) parts.push(`source=${source}`);
  if (m.ReadOnly === true) parts.push('readonly=true');
  const vo = obj(m.VolumeOptions, `${where}.VolumeOptions`);
  if (vo.NoCopy === true) parts.push('volume-nocopy=true');
  for (const [k, v] of Object.entries(obj(obj(vo.DriverConfig, `${where}.VolumeOptions.DriverConfig`).Options, `${where}.VolumeOptions.DriverConfig.Options`))) parts.push(`volume-opt=${k}=${v}`);
  const to = obj(m.TmpfsOptions, `${where}.TmpfsOptions`);
  if (to.SizeBytes) parts.push(`tmpfs-size=${to.SizeBytes}`);
  if (to.Mode) parts.push(`tmpfs-mode=${Number(to.Mode).toString(8)}`);
  const bo = obj(m.BindOptions, `${where}.BindOptions`);
  if (bo.Propagation) parts.push(`bind-propagation=${bo.Propagation}`);
  return parts.map((p) => (p.includes(',') ? `"${p}"` : p)).join(',');
}

/** PortBindings → `-p` texts; an empty HostPort is a free one. */
function publishes(bindings: Obj): string[] {
  return Object.entries(bindings).flatMap(([port, list]) => {
    const bs = (Array.isArray(list) && list.length ? list : [{}]) as Obj[];
    return bs.map((b) => {
      const ip = str(b.HostIp, `HostConfig.PortBindings["${port}"].HostIp`);
      const host = str(b.HostPort, `HostConfig.PortBindings["${port}"].HostPort`);
      return ip ? `${ip}:${host ?? ''}:${port}` : host ? `${host}:${port}` : port;
    });
  });
}

/** The aliases NetworkingConfig gives the container on the network it joins (compose: the service's name). */
function aliasesOn(network: string | undefined, nc: Obj): string[] {
  const endpoints = obj(nc.EndpointsConfig, 'NetworkingConfig.EndpointsConfig');
  if (!network || !(network in endpoints)) return [];
  return strings(obj(endpoints[network], `NetworkingConfig.EndpointsConfig["${network}"]`).Aliases, `NetworkingConfig.EndpointsConfig["${network}"].Aliases`);
}

/** The network a create body joins: HostConfig.NetworkMode, else the one endpoint NetworkingConfig names. */
function networkOf(hc: Obj, nc: Obj): string | undefined {
  const mode = str(hc.NetworkMode, 'HostConfig.NetworkMode');
  const endpoints = Object.keys(obj(nc.EndpointsConfig, 'NetworkingConfig.EndpointsConfig'));
  if (endpoints.length > 1) throw new InvalidArgumentError('NetworkingConfig.EndpointsConfig: a container joins one network when created; connect it to others afterwards');
  if (mode?.startsWith('container:')) throw new InvalidArgumentError(`HostConfig.NetworkMode "${mode}": sharing another container's network namespace is not supported by berth`);
  const net = mode && mode !== 'default' ? mode : endpoints[0];
  return net === 'default' ? undefined : net;
}

/** Docker's create body → the request of berth's create, through the run flags it means. */
export function dockerCreateRequest(name: string | undefined, body: unknown): DockerRunRequest {
  const config = obj(body, 'the request body');
  const hc = obj(config.HostConfig, 'HostConfig');
  const nc = obj(config.NetworkingConfig, 'NetworkingConfig');
  const image = str(config.Image, 'Image');
  if (!image) throw new InvalidArgumentError('Config.Image is required: the image to create the container from');
  for (const k of UNSUPPORTED_HOST) if (!empty(hc[k])) throw new InvalidArgumentError(`HostConfig.${k} is not supported by berth; leave it out`);
  for (const [k, v] of Object.entries(hc)) if (!KNOWN_HOST.has(k) && !empty(v)) throw new InvalidArgumentError(`HostConfig.${k} is not a field of Docker's Engine API 1.41 that berth knows, so berth cannot apply it; leave it out`);
  for (const [k, ok] of Object.entries(PRIVATE_MODES)) {
    const v = str(hc[k], `HostConfig.${k}`);
    if (v && !ok.includes(v)) throw new InvalidArgumentError(`HostConfig.${k} "${v}" is not supported by berth: every container has its own namespace`);
  }
  if (!empty(config.MacAddress)) throw new InvalidArgumentError('MacAddress is not supported by berth; leave it out');
  const log = obj(hc.LogConfig, 'HostConfig.LogConfig');
  if (!empty(log.Type) && log.Type !== 'json-file') throw new InvalidArgumentError(`HostConfig.LogConfig.Type "${String(log.Type)}": berth writes container logs as json-file`);
  if (!empty(log.Config)) throw new InvalidArgumentError('HostConfig.LogConfig.Config: per-container log options are not supported by berth (set log-opts in daemon.json)');
  const swap = num(hc.MemorySwap, 'HostConfig.MemorySwap');
  if (swap !== undefined && swap !== -1 && swap !== hc.Memory) throw new InvalidArgumentError('HostConfig.MemorySwap: berth does not limit swap apart from memory; leave it out');
  const swappiness = num(hc.MemorySwappiness, 'HostConfig.MemorySwappiness');
  if (swappiness !== undefined && swappiness !== -1) throw new InvalidArgumentError('HostConfig.MemorySwappiness is not supported by berth; leave it out');

  const restart = obj(hc.RestartPolicy, 'HostConfig.RestartPolicy');
  const restartName = str(restart.Name, 'HostConfig.RestartPolicy.Name');
  const retries = num(restart.MaximumRetryCount, 'HostConfig.RestartPolicy.MaximumRetryCount');
  const nano = num(hc.NanoCpus, 'HostConfig.NanoCpus');
  const quota = num(hc.CpuQuota, 'HostConfig.CpuQuota');
  const period = num(hc.CpuPeriod, 'HostConfig.CpuPeriod') ?? 100_000;
  const memory = num(hc.Memory, 'HostConfig.Memory');
  const pids = num(hc.PidsLimit, 'HostConfig.PidsLimit');
  const health = obj(config.Healthcheck, 'Healthcheck');
  const test = strings(health.Test, 'Healthcheck.Test');
  const exposed = Object.keys(obj(config.ExposedPorts, 'ExposedPorts'));
  const bindings = obj(hc.PortBindings, 'HostConfig.PortBindings');
  const entrypoint = config.Entrypoint === undefined || config.Entrypoint === null ? undefined : strings(config.Entrypoint, 'Entrypoint');
  const cmd = strings(config.Cmd, 'Cmd');
  const stopTimeout = num(config.StopTimeout, 'StopTimeout');
  const network = config.NetworkDisabled === true ? 'none' : networkOf(hc, nc);

  const o: DockerRunOptions = {
    // The create body's AutoRemove is the daemon's --rm whoever is attached (detach: the spec says so).
    detach: true,
    ...(hc.AutoRemove === true ? { rm: true } : {}),
    ...(config.Tty === true ? { tty: true } : {}),
    ...(config.OpenStdin === true ? { interactive: true } : {}),
    env: strings(config.Env, 'Env').filter((e) => e.includes('=')),
    publish: publishes(bindings),
    ...(hc.PublishAllPorts === true ? { publishAll: true } : {}),
    ...(network ? { network, networkAlias: aliasesOn(network, nc) } : {}),
    ...(memory !== undefined ? { memory: String(memory) } : {}),
    ...(nano !== undefined ? { cpus: String(nano / 1e9) } : quota !== undefined && quota > 0 ? { cpus: String(quota / period) } : {}),
    ...(str(config.WorkingDir, 'WorkingDir') ? { workdir: config.WorkingDir as string } : {}),
    ...(str(config.User, 'User') ? { user: config.User as string } : {}),
    ...(restartName ? { restart: restartName === 'on-failure' && retries ? `on-failure:${retries}` : restartName } : {}),
    ...(hc.Init === true ? { init: true } : {}),
    ...(str(config.Hostname, 'Hostname') ? { hostname: config.Hostname as string } : {}),
    addHost: strings(hc.ExtraHosts, 'HostConfig.ExtraHosts'),
    ...(str(config.StopSignal, 'StopSignal') ? { stopSignal: config.StopSignal as string } : {}),
    ...(stopTimeout !== undefined && stopTimeout >= 0 ? { stopTimeout: String(stopTimeout) } : {}),
    ...(test[0] === 'CMD-SHELL' || test[0] === 'CMD'
      ? {
          healthCmd: test[0] === 'CMD-SHELL' ? test.slice(1).join(' ') : test.slice(1).join(' '),
          ...(ns(health.Interval, 'Healthcheck.Interval') ? { healthInterval: ns(health.Interval, 'Healthcheck.Interval')! } : {}),
          ...(ns(health.Timeout, 'Healthcheck.Timeout') ? { healthTimeout: ns(health.Timeout, 'Healthcheck.Timeout')! } : {}),
          ...(ns(health.StartPeriod, 'Healthcheck.StartPeriod') ? { healthStartPeriod: ns(health.StartPeriod, 'Healthcheck.StartPeriod')! } : {}),
          ...(num(health.Retries, 'Healthcheck.Retries') ? { healthRetries: String(health.Retries) } : {}),
        }
      : {}),
    volume: [...strings(hc.Binds, 'HostConfig.Binds'), ...Object.keys(obj(config.Volumes, 'Volumes'))],
    mount: (Array.isArray(hc.Mounts) ? (hc.Mounts as unknown[]) : []).map((m, i) => mountText(obj(m, `HostConfig.Mounts[${i}]`), i)),
    tmpfs: Object.entries(obj(hc.Tmpfs, 'HostConfig.Tmpfs')).map(([dir, opts]) => (opts ? `${dir}:${String(opts)}` : dir)),
    volumesFrom: strings(hc.VolumesFrom, 'HostConfig.VolumesFrom'),
    capAdd: strings(hc.CapAdd, 'HostConfig.CapAdd'),
    capDrop: strings(hc.CapDrop, 'HostConfig.CapDrop'),
    ...(hc.Privileged === true ? { privileged: true } : {}),
    ...(hc.ReadonlyRootfs === true ? { readOnly: true } : {}),
    securityOpt: strings(hc.SecurityOpt, 'HostConfig.SecurityOpt'),
    sysctl: Object.entries(obj(hc.Sysctls, 'HostConfig.Sysctls')).map(([k, v]) => `${k}=${String(v)}`),
    ...(pids !== undefined ? { pidsLimit: String(pids) } : {}),
    ...(str(hc.UsernsMode, 'HostConfig.UsernsMode') ? { userns: hc.UsernsMode as string } : {}),
    label: Object.entries(obj(config.Labels, 'Labels')).map(([k, v]) => `${k}=${String(v)}`),
    ...(name ? { name } : {}),
  };
  const req = dockerRunRequest(image, [], o);
  const spec = req.spec;
  // Entrypoint and Cmd are lists here: verbatim, as the run translation keeps words.
  if (entrypoint !== undefined) {
    delete spec.args;
    if (entrypoint.length) spec.command = escapeVars(entrypoint);
    if (cmd.length) spec[entrypoint.length ? 'args' : 'command'] = escapeVars(cmd);
  } else if (cmd.length) spec.args = escapeVars(cmd);
  // Healthcheck's CMD form runs its words without a shell.
  if (test[0] === 'CMD' && spec.readinessProbe) (spec.readinessProbe as Obj).exec = { command: test.slice(1) };
  // Ports the image or the body exposes without binding them: declared, not published.
  const ports = (spec.ports ?? []) as Array<{ containerPort: number; protocol?: string }>;
  for (const key of exposed) {
    const [port, proto = 'tcp'] = key.split('/');
    if (!ports.some((p) => p.containerPort === Number(port) && (p.protocol ?? 'TCP').toLowerCase() === proto)) ports.push({ containerPort: Number(port), protocol: proto.toUpperCase() });
  }
  if (ports.length) spec.ports = ports;
  // stdin kept open by the body's own StdinOnce, not by whether a client is attached now.
  if (config.StdinOnce === true) spec.stdinOnce = true;
  return req;
}
