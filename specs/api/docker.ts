// Docker's JSON shapes, as `docker inspect` prints them (moby api/types ContainerJSON and
// ImageInspect): the fields berth fills, in Docker's order and with Docker's names, so scripts and
// `-f '{{.State.Pid}}'` templates written for Docker work unchanged.

export interface DockerPortBinding {
  HostIp: string;
  HostPort: string;
}

export interface DockerHealth {
  Status: 'starting' | 'healthy' | 'unhealthy';
  FailingStreak: number;
  Log: Array<{ Start: string; End: string; ExitCode: number; Output: string }>;
}

export interface DockerContainerConfig {
  Hostname: string;
  Domainname: string;
  User: string;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  ExposedPorts?: Record<string, Record<string, never>>;
  Tty: boolean;
  OpenStdin: boolean;
  StdinOnce: boolean;
  Env: string[];
  Cmd: string[] | null;
  Healthcheck?: { Test: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; Retries?: number };
  Image: string;
  Volumes: Record<string, Record<string, never>> | null;
  WorkingDir: string;
  Entrypoint: string[] | null;
  OnBuild: string[] | null;
  Labels: Record<string, string>;
  StopSignal?: string;
  StopTimeout?: number;
}

export interface DockerMount {
  Type: 'bind' | 'volume' | 'tmpfs';
  Name?: string;
  Source: string;
  Destination: string;
  Driver?: string;
  Mode: string;
  RW: boolean;
  Propagation: string;
}

export interface DockerEndpoint {
  IPAMConfig: null;
  Links: null;
  Aliases: string[] | null;
  NetworkID: string;
  EndpointID: string;
  Gateway: string;
  IPAddress: string;
  IPPrefixLen: number;
  IPv6Gateway: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
  MacAddress: string;
  DriverOpts: null;
}

export interface DockerContainer {
  Id: string;
  Created: string;
  Path: string;
  Args: string[];
  State: {
    Status: 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';
    Running: boolean;
    Paused: boolean;
    Restarting: boolean;
    OOMKilled: boolean;
    Dead: boolean;
    Pid: number;
    ExitCode: number;
    Error: string;
    StartedAt: string;
    FinishedAt: string;
    Health?: DockerHealth;
  };
  Image: string;
  ResolvConfPath: string;
  HostnamePath: string;
  HostsPath: string;
  LogPath: string;
  Name: string;
  RestartCount: number;
  Driver: string;
  Platform: string;
  MountLabel: string;
  ProcessLabel: string;
  AppArmorProfile: string;
  ExecIDs: string[] | null;
  HostConfig: {
    Binds: string[] | null;
    NetworkMode: string;
    PortBindings: Record<string, DockerPortBinding[]>;
    RestartPolicy: { Name: string; MaximumRetryCount: number };
    AutoRemove: boolean;
    ExtraHosts: string[] | null;
    PublishAllPorts: boolean;
    ReadonlyRootfs: boolean;
    Init: boolean | null;
    Memory: number;
    MemorySwap: number;
    NanoCpus: number;
    CpuShares: number;
    PidsLimit: number | null;
    LogConfig: { Type: string; Config: Record<string, string> };
  };
  GraphDriver: { Data: Record<string, string> | null; Name: string };
  Mounts: DockerMount[];
  Config: DockerContainerConfig;
  NetworkSettings: {
    Bridge: string;
    SandboxID: string;
    SandboxKey: string;
    Ports: Record<string, DockerPortBinding[] | null>;
    Gateway: string;
    IPAddress: string;
    IPPrefixLen: number;
    MacAddress: string;
    Networks: Record<string, DockerEndpoint>;
  };
}

export interface DockerImage {
  Id: string;
  RepoTags: string[];
  RepoDigests: string[];
  Parent: string;
  Comment: string;
  Created: string;
  DockerVersion: string;
  Author: string;
  Config: Partial<DockerContainerConfig> | null;
  Architecture: string;
  Variant?: string;
  Os: string;
  Size: number;
  GraphDriver: { Data: Record<string, string> | null; Name: string };
  RootFS: { Type: string; Layers: string[] };
  Metadata: { LastTagTime: string };
}

/** Fields of these shapes that are Go maps (templates: a missing key is "<no value>", not an error). */
export const DOCKER_MAP_FIELDS: ReadonlySet<string> = new Set([
  'Labels', 'ExposedPorts', 'Volumes', 'PortBindings', 'Ports', 'Networks', 'Data', 'DriverOpts', 'Options',
]);
