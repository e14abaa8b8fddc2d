// Settings (daemon.json's keys) → the options the daemon's parts take.
import { dirname, join } from 'node:path';
import type { DaemonOptions } from '../context.ts';
import { parseSize } from './schema.ts';
import type { EffectiveConfig, Settings } from './settings.ts';

/** A daemon.json host (unix:///path, tcp://host:port) as the API server's listen address. */
export function listenAddress(host: string): string {
  if (host.startsWith('unix://')) return host.slice('unix://'.length);
  return host.replace(/^tcp:\/\//, '');
}

/** Mirrors per registry domain: Docker Hub's from registry-mirrors, the others' from registry-hosts. */
export function mirrorsOf(v: Pick<EffectiveConfig, 'registry-mirrors' | 'registry-hosts'>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (v['registry-mirrors'].length) out['docker.io'] = v['registry-mirrors'];
  for (const [host, h] of Object.entries(v['registry-hosts'])) if (h.mirrors.length) out[host] = h.mirrors;
  return out;
}

/**
 * Where Docker's Engine API is served: as set, or docker.sock in the directory of a unix API socket
 * (/run/berth/docker.sock beside /run/berth/berth.sock, or beside systemd's); none beside TCP.
 */
export function dockerSocketOf(v: Pick<EffectiveConfig, 'hosts' | 'docker-socket'>): string | undefined {
  if (v['docker-socket'] !== undefined) return v['docker-socket'] || undefined;
  const host = v.hosts[0]!;
  if (host === 'fd://') return '/run/berth/docker.sock';
  return host.startsWith('unix://') ? join(dirname(listenAddress(host)), 'docker.sock') : undefined;
}

export function optionsFromSettings(settings: Settings): DaemonOptions {
  const v = settings.values;
  const dockerSocket = dockerSocketOf(v);
  return {
    root: v['data-root'],
    socket: listenAddress(v.hosts[0]!),
    ...(dockerSocket ? { dockerSocket } : {}),
    socketGroup: { name: v.group, required: settings.sources.group !== 'default' },
    watch: v.watch,
    ...(v['metrics-addr'] ? { metricsAddr: v['metrics-addr'] } : {}),
    runtime: v.runtime,
    insecureRegistries: v['insecure-registries'],
    cgroupParent: v['cgroup-parent'],
    ...(v['cni-path'] ? { cniPath: v['cni-path'] } : {}),
    registryMirrors: mirrorsOf(v),
    certsDir: v['certs-dir'],
    maxConcurrentDownloads: v['max-concurrent-downloads'],
    maxConcurrentUploads: v['max-concurrent-uploads'],
    logMaxBytes: parseSize(v['log-opts']['max-size'] ?? '10m')!,
    logMaxFiles: Number(v['log-opts']['max-file'] ?? '2'),
    labels: v.labels,
    settings,
  };
}
