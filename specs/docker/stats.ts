// berth's container stats (read from its cgroup) as Docker's stats JSON (moby types.StatsJSON),
// which `docker stats` turns into CPU % from the change of cpu_stats against precpu_stats.
import type { ContainerStats } from '../api/containers.ts';
import type { DockerCpuStats, DockerStats } from '../api/docker-engine.ts';

/** What the host says alongside a sample: its CPU time (ns, /proc/stat), number of CPUs, memory. */
export interface HostCpu {
  systemNs: number;
  onlineCpus: number;
  memTotal: number;
}

const ZERO_TIME = '0001-01-01T00:00:00Z';

function cpuStats(s: ContainerStats | undefined, host: HostCpu | undefined): DockerCpuStats {
  const cg = s?.cgroup?.cpu;
  return {
    cpu_usage: {
      total_usage: Math.round((s?.cpuUsageSeconds ?? 0) * 1e9),
      usage_in_kernelmode: Math.round((cg?.systemSeconds ?? 0) * 1e9),
      usage_in_usermode: Math.round((cg?.userSeconds ?? 0) * 1e9),
    },
    ...(host ? { system_cpu_usage: host.systemNs, online_cpus: host.onlineCpus } : {}),
    throttling_data: { periods: cg?.periods ?? 0, throttled_periods: cg?.throttledPeriods ?? 0, throttled_time: Math.round((cg?.throttledSeconds ?? 0) * 1e9) },
  };
}

/** One sample, with the one before it (precpu_stats; absent for the first of a stream, as Docker's). */
export function dockerStats(
  c: { name: string; id: string },
  now: { stats: ContainerStats; host: HostCpu },
  before?: { stats: ContainerStats; host: HostCpu },
): DockerStats {
  const s = now.stats;
  const mem = s.cgroup?.memory;
  const networks = s.network
    ? Object.fromEntries((s.network.interfaces?.length ? s.network.interfaces : [{ interface: 'eth0', rxBytes: s.network.rxBytes, txBytes: s.network.txBytes }]).map((i) => [
        i.interface,
        { rx_bytes: i.rxBytes, rx_packets: 0, rx_errors: 0, rx_dropped: 0, tx_bytes: i.txBytes, tx_packets: 0, tx_errors: 0, tx_dropped: 0 },
      ]))
    : undefined;
  return {
    read: s.readAt,
    preread: before?.stats.readAt ?? ZERO_TIME,
    name: `/${c.name}`,
    id: c.id,
    pids_stats: { current: s.pids },
    blkio_stats: {
      io_service_bytes_recursive: (s.cgroup?.io ?? []).flatMap((d) => {
        const [major = 0, minor = 0] = d.device.split(':').map(Number);
        return [{ major, minor, op: 'Read', value: d.readBytes }, { major, minor, op: 'Write', value: d.writeBytes }];
      }),
    },
    num_procs: 0,
    cpu_stats: cpuStats(s, now.host),
    precpu_stats: cpuStats(before?.stats, before?.host),
    memory_stats: {
      usage: s.memoryUsageBytes,
      // Docker reports the host's memory as the limit of an unlimited container.
      limit: s.memoryLimitBytes || now.host.memTotal,
      stats: { cache: mem?.cacheBytes ?? 0, rss: mem?.rssBytes ?? 0, mapped_file: mem?.mappedFileBytes ?? 0, swap: mem?.swapBytes ?? 0, total_inactive_file: Math.max(0, s.memoryUsageBytes - s.memoryWorkingSetBytes) },
    },
    ...(networks ? { networks } : {}),
  };
}
