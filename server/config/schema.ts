// daemon.json: Docker's key names where dockerd has the setting, berth's own for the rest. Every
// key is validated here (types, values, shape), the file and the flags through the same schema.
// Docker keys that no part of berth can apply yet are refused by name (secure by default: never a
// setting silently ignored), unless empty, which is what dockerd does when they are not given.
import { isAbsolute } from 'node:path';
import { z } from 'zod';

const HOST_PORT = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::\d{1,5})?$/;
const LABEL = /^[^=\s][^=]*=.*$/s;
const SIZE = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?$/i;

/** Docker's sizes for log-opts (units.RAMInBytes): "10m", "512k", "1g", "100" — powers of 1024. */
export function parseSize(text: string): number | undefined {
  const m = SIZE.exec(text.trim());
  if (!m) return undefined;
  return Math.floor(Number(m[1]) * 1024 ** ' kmgt'.indexOf((m[2] || ' ').toLowerCase()));
}

/** A registry mirror: an http(s) URL without credentials, query or fragment (as dockerd's ValidateMirror). */
export function mirrorProblem(text: string): string | undefined {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return `"${text}" is not a URL; write it as https://host[:port]`;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return `"${text}" must be an http or https URL`;
  if (u.username || u.password) return `"${text}" must not hold credentials; use \`berth login ${u.host}\``;
  if (u.search || u.hash) return `"${text}" must not have a query or a fragment`;
  return undefined;
}

/** `unix:///path`, `tcp://host:port` (loopback only: the API has no TLS), or `fd://` (systemd's socket). */
export function hostProblem(text: string): string | undefined {
  if (text === 'fd://') return undefined;
  if (text.startsWith('unix://')) return isAbsolute(text.slice(7)) ? undefined : `"${text}" must name an absolute socket path (unix:///run/berth/berth.sock)`;
  if (text.startsWith('tcp://')) {
    const m = /^tcp:\/\/(\[[^\]]+\]|[^/:]*):(\d+)$/.exec(text);
    if (!m) return `"${text}" must be tcp://host:port`;
    const host = m[1]!.replace(/^\[|\]$/g, '');
    if (!(host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host))) {
      return `"${text}" is not a loopback address: berth's API has no TLS, so it listens on a unix socket or on loopback only`;
    }
    return undefined;
  }
  return `"${text}" must be unix:///path, tcp://127.0.0.1:port or fd:// (the socket systemd passes, berth.socket)`;
}

const check = (problem: (v: string) => string | undefined) => (v: string, ctx: z.RefinementCtx) => {
  const p = problem(v);
  if (p) ctx.addIssue({ code: 'custom', message: p });
};

const absolutePath = z.string().min(1).superRefine(check((v) => (isAbsolute(v) ? undefined : `"${v}" must be an absolute path`)));
const hostPort = z.string().superRefine(check((v) => (HOST_PORT.test(v) ? undefined : `"${v}" must be host or host:port${v.includes('://') ? ' (without the scheme)' : v.includes('/') ? ' (berth does not take CIDR ranges here; list each registry)' : ''}`)));
const mirror = z.string().superRefine(check(mirrorProblem));
const count = z.int().min(1).max(64);

/** A Docker key berth cannot apply yet: refused unless empty. */
const notYet = (why: string) =>
  z.unknown().superRefine((v, ctx) => {
    const empty = v === null || v === '' || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && v !== null && Object.keys(v).length === 0);
    if (!empty) ctx.addIssue({ code: 'custom', message: `berth cannot apply this setting yet (${why}); remove it` });
  });

export const configSchema = z
  .strictObject({
    // Docker's keys.
    'data-root': absolutePath,
    hosts: z.array(z.string().superRefine(check(hostProblem))).min(1).max(1, 'berth listens on one address; give one host'),
    'registry-mirrors': z.array(mirror),
    'insecure-registries': z.array(hostPort),
    'log-level': z.enum(['debug', 'info', 'warn', 'error']),
    'log-driver': z.literal('json-file', 'berth writes container logs as json-file; only "json-file" is accepted'),
    'log-opts': z.strictObject({
      'max-size': z.string().superRefine(check((v) => ((parseSize(v) ?? 0) >= 1024 ? undefined : `"${v}" must be a size of at least 1k, such as "10m"`))),
      'max-file': z.string().superRefine(check((v) => (/^[1-9]\d*$/.test(v) && Number(v) <= 100 ? undefined : `"${v}" must be a number of files from "1" to "100", such as "3"`))),
    }).partial(),
    'live-restore': z.boolean().superRefine((v, ctx) => {
      if (!v) ctx.addIssue({ code: 'custom', message: 'containers always outlive the daemon under berth (each has its own monitor); only true is accepted' });
    }),
    'max-concurrent-downloads': count,
    'max-concurrent-uploads': count,
    labels: z.array(z.string().superRefine(check((v) => (LABEL.test(v) ? undefined : `"${v}" must be key=value`)))),
    group: z.string().superRefine(check((v) => (/^([a-z_][a-z0-9_-]*\$?|\d+)$/i.test(v) ? undefined : `"${v}" must be a group name or id`))),
    'cgroup-parent': z.string().min(1).superRefine(check((v) => (v.split('/').includes('..') ? `"${v}" must not contain ".."` : undefined))),
    'default-ulimits': notYet('containers keep the daemon\'s rlimits'),
    'default-address-pools': notYet('networks take their subnets from 10.213-254.0.0/16'),
    bip: notYet('berth has no default bridge; containers join networks'),
    dns: notYet("containers use the host's name servers"),
    // berth's own keys.
    watch: z.array(absolutePath),
    'metrics-addr': hostPort,
    runtime: z.enum(['native', 'runc', 'none']),
    /** Directories to look for CNI plugins in first, before /opt/cni/bin, /usr/lib/cni, /usr/libexec/cni. */
    'cni-path': z.array(absolutePath),
    /** Mirrors of registries other than Docker Hub (containerd's hosts.toml `[host]` entries). */
    'registry-hosts': z.record(hostPort, z.strictObject({ mirrors: z.array(mirror) })),
    /** Per-registry TLS files, Docker's certs.d layout: <dir>/<host[:port]>/{ca.crt, client.cert, client.key}. */
    'certs-dir': absolutePath,
    /** Where Docker's Engine API is served (a unix socket, 0660); "" serves none. Default: docker.sock beside the API's unix socket. */
    'docker-socket': z.union([z.literal(''), absolutePath]),
  })
  .partial();

export type DaemonConfig = z.infer<typeof configSchema>;
export type ConfigKey = keyof DaemonConfig;
export const CONFIG_KEYS = Object.keys(configSchema.shape) as ConfigKey[];

/** What a reload (SIGHUP) can change in a running daemon; any other change needs a restart. */
export const LIVE_KEYS: ReadonlySet<ConfigKey> = new Set<ConfigKey>([
  'log-level',
  'registry-mirrors',
  'registry-hosts',
  'insecure-registries',
  'max-concurrent-downloads',
  'max-concurrent-uploads',
  'labels',
  'watch',
  'certs-dir',
]);
