// Docker Engine API shapes berth serves beyond inspect's (specs/api/docker.ts): the version and
// info documents, the container list's entries, stats, exec inspect, wait's answer and the
// change list — with Docker's field names, as moby's api/types declares them.
import type { DockerPortBinding } from './docker.ts';

export interface DockerVersion {
  Platform: { Name: string };
  Components: Array<{ Name: string; Version: string; Details: Record<string, string> }>;
  Version: string;
  ApiVersion: string;
  MinAPIVersion: string;
  GitCommit: string;
  GoVersion: string;
  Os: string;
  Arch: string;
  KernelVersion: string;
  BuildTime: string;
}

/** One entry of GET /containers/json (moby types.Container). */
export interface DockerContainerListItem {
  Id: string;
  Names: string[];
  Image: string;
  ImageID: string;
  Command: string;
  Created: number;
  Ports: Array<{ IP?: string; PrivatePort: number; PublicPort?: number; Type: string }>;
  SizeRw?: number;
  SizeRootFs?: number;
  Labels: Record<string, string>;
  State: string;
  Status: string;
  HostConfig: { NetworkMode: string };
  NetworkSettings: { Networks: Record<string, { NetworkID: string; IPAddress: string; Gateway: string; MacAddress: string }> };
  Mounts: Array<{ Type: string; Name?: string; Source: string; Destination: string; Mode: string; RW: boolean; Propagation: string }>;
}

/** GET /containers/{id}/stats (moby types.StatsJSON), cgroup v1 field names. */
export interface DockerStats {
  read: string;
  preread: string;
  name: string;
  id: string;
  pids_stats: { current: number; limit?: number };
  blkio_stats: { io_service_bytes_recursive: Array<{ major: number; minor: number; op: string; value: number }> | null };
  num_procs: number;
  cpu_stats: DockerCpuStats;
  precpu_stats: DockerCpuStats;
  memory_stats: { usage?: number; limit?: number; stats?: Record<string, number> };
  networks?: Record<string, { rx_bytes: number; rx_packets: number; rx_errors: number; rx_dropped: number; tx_bytes: number; tx_packets: number; tx_errors: number; tx_dropped: number }>;
}

export interface DockerCpuStats {
  cpu_usage: { total_usage: number; usage_in_kernelmode: number; usage_in_usermode: number; percpu_usage?: number[] };
  system_cpu_usage?: number;
  online_cpus?: number;
  throttling_data: { periods: number; throttled_periods: number; throttled_time: number };
}

/** GET /exec/{id}/json. */
export interface DockerExecInspect {
  ID: string;
  Running: boolean;
  ExitCode: number | null;
  ProcessConfig: { tty: boolean; entrypoint: string; arguments: string[]; privileged: boolean; user: string };
  OpenStdin: boolean;
  OpenStderr: boolean;
  OpenStdout: boolean;
  CanRemove: boolean;
  ContainerID: string;
  DetachKeys: string;
  Pid: number;
}

/** POST /containers/{id}/wait. */
export interface DockerWaitResponse {
  StatusCode: number;
  Error: { Message: string } | null;
}

export type { DockerPortBinding };
