// Docker's system routes: /_ping (with Api-Version, how clients negotiate), /version, /info.
import { arch, cpus, hostname, release, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';
import type { DockerVersion } from '../../specs/api/docker-engine.ts';
import { cgroupVersion } from '../../engine/runtime/cgroup-stats.ts';
import type { Route } from '../api.ts';
import type { DaemonContext } from '../context.ts';
import { DOCKER_API_VERSION, DOCKER_MIN_API_VERSION } from './dialect.ts';
import { isoTime } from '../../specs/timestamps.ts';

/** Go's names for Node's architectures (GOARCH). */
export const goArch = (): string => ({ x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' })[arch()] ?? arch();

function osName(): string {
  try {
    return /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? 'Linux';
  } catch {
    return 'Linux';
  }
}

export function dockerVersion(ctx: DaemonContext): DockerVersion {
  const details = { ApiVersion: DOCKER_API_VERSION, MinAPIVersion: DOCKER_MIN_API_VERSION, GitCommit: '', GoVersion: `node ${process.version}`, Os: 'linux', Arch: goArch(), KernelVersion: release(), BuildTime: '' };
  return {
    Platform: { Name: 'berth' },
    Components: [{ Name: 'Engine', Version: ctx.version, Details: details }],
    Version: ctx.version,
    ...details,
  };
}

export default function routes(ctx: DaemonContext): Route[] {
  const ping = async () => ({ contentType: 'text/plain; charset=utf-8', headers: { 'cache-control': 'no-cache, no-store, must-revalidate', pragma: 'no-cache' }, body: Buffer.from('OK') });
  return [
    { method: 'GET', path: '/_ping', handler: ping },
    { method: 'HEAD', path: '/_ping', handler: ping },
    { method: 'GET', path: '/version', handler: async () => ({ json: dockerVersion(ctx) }) },
    {
      method: 'GET',
      path: '/info',
      handler: async () => {
        const all = ctx.containers?.list({ all: true }) ?? [];
        const count = (s: string) => all.filter((c) => c.state === s).length;
        const images = ctx.images ? (await ctx.images.list()).items : [];
        return {
          json: {
            ID: ctx.root, Containers: all.length, ContainersRunning: count('running'), ContainersPaused: count('paused'),
            ContainersStopped: all.length - count('running') - count('paused'), Images: new Set(images.map((i) => i.id)).size,
            Driver: 'overlay2', DriverStatus: [['Backing Filesystem', 'overlayfs']],
            Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'none'], Authorization: null, Log: ['json-file'] },
            MemoryLimit: true, SwapLimit: false, KernelMemory: false, KernelMemoryTCP: false, CpuCfsPeriod: true, CpuCfsQuota: true,
            CPUShares: true, CPUSet: false, PidsLimit: true, IPv4Forwarding: true, BridgeNfIptables: true, BridgeNfIp6tables: true,
            Debug: false, NFd: 0, OomKillDisable: false, NGoroutines: 0, SystemTime: isoTime(), LoggingDriver: 'json-file',
            CgroupDriver: 'cgroupfs', CgroupVersion: String(cgroupVersion), NEventsListener: 0, KernelVersion: release(),
            OperatingSystem: osName(), OSVersion: '', OSType: 'linux', Architecture: arch() === 'x64' ? 'x86_64' : arch(),
            IndexServerAddress: 'https://index.docker.io/v1/',
            RegistryConfig: { AllowNondistributableArtifactsCIDRs: [], AllowNondistributableArtifactsHostnames: [], InsecureRegistryCIDRs: ['127.0.0.0/8'], IndexConfigs: {}, Mirrors: ctx.options.registryMirrors?.['docker.io'] ?? [] },
            NCPU: cpus().length, MemTotal: totalmem(), GenericResources: null, DockerRootDir: ctx.root, HttpProxy: '', HttpsProxy: '', NoProxy: '',
            Name: hostname(), Labels: ctx.options.labels ?? [], ExperimentalBuild: false, ServerVersion: ctx.version,
            Runtimes: { [ctx.options.runtime ?? 'native']: { path: ctx.options.runtime === 'runc' ? 'runc' : 'berth-run' } }, DefaultRuntime: ctx.options.runtime ?? 'native',
            Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
            LiveRestoreEnabled: true, Isolation: '', InitBinary: 'docker-init',
            ContainerdCommit: { ID: '', Expected: '' }, RuncCommit: { ID: '', Expected: '' }, InitCommit: { ID: '', Expected: '' },
            SecurityOptions: ['name=seccomp,profile=default'], Warnings: [],
          },
        };
      },
    },
  ];
}
