// Container statistics read straight from its cgroup's files (cgroup v1 or v2, detected at run time),
// as cAdvisor and the kubelet do: cheaper than asking the runtime (`runc events --stats` costs a
// process per call, and /metrics reads every container on each scrape). Both versions fill the same
// fields, with cAdvisor's conversions (e.g. v1 total_rss and v2 anon are both "rss").
import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { CgroupStats, Stats } from '../../specs/api/containers.ts';
import { isoTime } from '../../specs/timestamps.ts';

const ROOT = '/sys/fs/cgroup';
/** v2 when the unified hierarchy is mounted at the root and has controllers; v1 (or hybrid) otherwise. */
export const cgroupVersion: 1 | 2 = existsSync(join(ROOT, 'cgroup.controllers')) && !existsSync(join(ROOT, 'memory')) ? 2 : 1;

export interface CgroupReadOptions {
  /** Where the hierarchies are mounted (default /sys/fs/cgroup). */
  root?: string;
  /** Which layout to read (default: this host's). */
  version?: 1 | 2;
}

/** Memory limits at or above this are "unlimited" (v1 writes PAGE_COUNTER_MAX * page size). */
const UNLIMITED = 2 ** 60;
/** cpuacct.stat counts in USER_HZ ticks, 100 a second on every Linux architecture. */
const USER_HZ = 100;

/**
 * Kernel files are read synchronously into one buffer: they say their size is 0, so readFile gave
 * each a fresh 64 KiB buffer and four trips through the thread pool, and /metrics reads about twenty
 * per container (its profile with 100 containers: most of the time in open/fstat/read/close and
 * the GC of those buffers). A cgroup file is made by the kernel on read: nothing waits on a disk.
 */
const kernelBuffer = Buffer.allocUnsafe(64 * 1024);

function text(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined; // a controller that is not enabled has no files
  }
  try {
    let n = 0;
    for (let r; n < kernelBuffer.length && (r = readSync(fd, kernelBuffer, n, kernelBuffer.length - n, null)) > 0; ) n += r;
    // Longer than the buffer (a cgroup.procs of thousands): read it whole.
    return n < kernelBuffer.length ? kernelBuffer.toString('utf8', 0, n) : readFileSync(path, 'utf8');
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

function num(path: string): number | undefined {
  const t = text(path)?.trim();
  if (t === undefined || t === 'max') return undefined;
  const n = Number(t);
  return t !== '' && Number.isFinite(n) ? n : undefined;
}

/**
 * "key value" lines (memory.stat, cpu.stat, memory.events, ...), as the kernel writes them: one
 * space between. Scanned in place: a split of each line by a pattern made arrays and strings that
 * were most of what a stats round allocated (v1's memory.stat has some forty lines).
 */
export function parseKeyed(t: string): Map<string, number> {
  const m = new Map<string, number>();
  for (let at = 0; at < t.length; ) {
    let end = t.indexOf('\n', at);
    if (end < 0) end = t.length;
    const space = t.indexOf(' ', at);
    if (space > at && space + 1 < end) {
      const v = Number(t.slice(space + 1, end));
      if (Number.isFinite(v)) m.set(t.slice(at, space), v);
    }
    at = end + 1;
  }
  return m;
}

function keyed(path: string): Map<string, number> {
  return parseKeyed(text(path) ?? '');
}

function lineCount(path: string): number {
  return (text(path) ?? '').split('\n').filter((l) => l.trim() !== '').length;
}

const deviceNames = new Map<string, string>();

/** "254:0" → "/dev/vda" (the name the kernel gave the block device); the numbers when it has none. */
function deviceName(majMin: string): string {
  let name = deviceNames.get(majMin);
  if (name === undefined) {
    const dev = /^DEVNAME=(.+)$/m.exec((text(`/sys/dev/block/${majMin}/uevent`)) ?? '')?.[1];
    name = dev ? `/dev/${dev}` : majMin;
    deviceNames.set(majMin, name);
  }
  return name;
}

type IoRow = CgroupStats['io'][number];

function named(rows: Map<string, Omit<IoRow, 'device'>>): IoRow[] {
  return [...rows].map(([majMin, r]) => ({ device: deviceName(majMin), ...r }));
}

/** v2 io.stat: "254:0 rbytes=4096 wbytes=0 rios=1 wios=0 dbytes=0 dios=0" per device. */
export function parseIoStat(t: string): Map<string, Omit<IoRow, 'device'>> {
  const out = new Map<string, Omit<IoRow, 'device'>>();
  for (const line of t.split('\n')) {
    const [dev, ...fields] = line.trim().split(/\s+/);
    if (!dev || !/^\d+:\d+$/.test(dev)) continue;
    const f = new Map(fields.map((kv) => kv.split('=') as [string, string]));
    const n = (k: string) => Number(f.get(k) ?? 0);
    out.set(dev, { readBytes: n('rbytes'), writeBytes: n('wbytes'), reads: n('rios'), writes: n('wios') });
  }
  return out;
}

/** v1 blkio: "254:0 Read 4096" lines for bytes and for operations, merged per device. */
export function parseBlkio(bytes: string, ops: string): Map<string, Omit<IoRow, 'device'>> {
  const out = new Map<string, Omit<IoRow, 'device'>>();
  const row = (dev: string) => {
    let r = out.get(dev);
    if (!r) out.set(dev, (r = { readBytes: 0, writeBytes: 0, reads: 0, writes: 0 }));
    return r;
  };
  for (const [t, read, write] of [[bytes, 'readBytes', 'writeBytes'], [ops, 'reads', 'writes']] as const) {
    for (const line of t.split('\n')) {
      const [dev, op, v] = line.trim().split(/\s+/);
      if (!dev || !/^\d+:\d+$/.test(dev) || v === undefined) continue;
      if (op === 'Read') row(dev)[read] = Number(v);
      else if (op === 'Write') row(dev)[write] = Number(v);
    }
  }
  return out;
}

/** cAdvisor's inverse of runc's shares → weight mapping, so v2 reports shares as v1 does. */
export function weightToShares(weight: number): number {
  return 2 + Math.floor(((weight - 1) * 262142) / 9999);
}

/** Stats of the cgroup at `path` (relative to each hierarchy's root, e.g. "/berth/<id>"). */
export async function readCgroupStats(path: string, o: CgroupReadOptions = {}): Promise<Stats> {
  const root = o.root ?? ROOT;
  const rel = path.replace(/^\/+/, '');
  return (o.version ?? cgroupVersion) === 2 ? readV2(filesOf(V2_FILES, `${root}/${rel}`), `/${rel}`) : readV1(filesOf(V1_FILES, root, rel), rel);
}

/** The files each layout reads, in the order readV1 and readV2 take them. */
const V1_FILES = [
  ['cpuacct', 'cpuacct.usage'], ['cpuacct', 'cpuacct.stat'], ['cpu', 'cpu.stat'], ['cpu', 'cpu.cfs_period_us'], ['cpu', 'cpu.cfs_quota_us'],
  ['cpu', 'cpu.shares'], ['memory', 'memory.stat'], ['memory', 'memory.usage_in_bytes'], ['memory', 'memory.limit_in_bytes'],
  ['memory', 'memory.oom_control'], ['pids', 'pids.current'], ['pids', 'cgroup.procs'],
  ['blkio', 'blkio.bfq.io_service_bytes_recursive'], ['blkio', 'blkio.bfq.io_serviced_recursive'],
  ['blkio', 'blkio.throttle.io_service_bytes_recursive'], ['blkio', 'blkio.throttle.io_serviced_recursive'], ['blkio', ''],
] as const;
const V2_FILES = [
  ['cpu.stat'], ['memory.stat'], ['memory.events'], ['memory.current'], ['memory.max'], ['memory.swap.current'], ['cpu.max'], ['cpu.weight'],
  ['pids.current'], ['cgroup.procs'], ['io.stat'],
] as const;

/**
 * A cgroup's file paths, put together by concatenation on each read: no normalizing join (sixteen
 * per container in each round were a visible part of a round's CPU), and no cache of them, which
 * held ~4.5 KiB of path strings per container for as long as it ran (a heap snapshot with 100).
 */
function filesOf(files: ReadonlyArray<readonly string[]>, root: string, rel = ''): string[] {
  return files.map((f) => (f.length === 2 ? `${root}/${f[0]}/${rel}${f[1] ? `/${f[1]}` : ''}` : `${root}/${f[0]}`));
}

/** What each layout reads its own way; the rest is put together alike. */
interface Read {
  path: string;
  cpuSeconds: number;
  /** nr_periods and nr_throttled, the same keys in v1's and v2's cpu.stat. */
  cpuStat: Map<string, number>;
  cpu: Pick<CgroupStats['cpu'], 'userSeconds' | 'systemSeconds' | 'throttledSeconds'>;
  usage: number | undefined;
  limit: number | undefined;
  inactiveFile: number;
  pids: number | undefined;
  spec: CgroupStats['spec'];
  memory: CgroupStats['memory'];
  processes: number;
  io: Map<string, Omit<IoRow, 'device'>>;
}

function assemble(r: Read): Stats {
  const used = r.usage ?? 0;
  const max = r.limit ?? 0;
  return {
    cpuUsageSeconds: r.cpuSeconds,
    memoryUsageBytes: used,
    memoryWorkingSetBytes: Math.max(0, used - r.inactiveFile),
    memoryLimitBytes: max >= UNLIMITED ? 0 : max,
    pids: r.pids ?? 0,
    readAt: isoTime(),
    cgroup: {
      path: r.path,
      cpu: { ...r.cpu, periods: r.cpuStat.get('nr_periods') ?? 0, throttledPeriods: r.cpuStat.get('nr_throttled') ?? 0 },
      spec: r.spec,
      memory: r.memory,
      processes: r.processes,
      io: named(r.io),
    },
  };
}

/** Synchronous reads (text() says why). */
function readV2(f: string[], path: string): Stats {
  const [cpu, mem, events, usage, limit, swap, cpuMax, weight, pids, processes, io] = [
    keyed(f[0]!), keyed(f[1]!), keyed(f[2]!), num(f[3]!), num(f[4]!), num(f[5]!), text(f[6]!), num(f[7]!), num(f[8]!), lineCount(f[9]!), text(f[10]!),
  ];
  const [quota, period] = (cpuMax ?? '').trim().split(/\s+/);
  const s = (k: string) => (cpu.get(k) ?? 0) / 1e6;
  return assemble({
    path,
    cpuSeconds: s('usage_usec'),
    cpuStat: cpu,
    cpu: { userSeconds: s('user_usec'), systemSeconds: s('system_usec'), throttledSeconds: s('throttled_usec') },
    usage,
    limit,
    inactiveFile: mem.get('inactive_file') ?? 0,
    pids,
    spec: {
      ...(period && Number.isFinite(Number(period)) ? { cpuPeriodUs: Number(period), cpuQuotaUs: quota === 'max' ? 0 : Number(quota) } : {}),
      ...(weight !== undefined ? { cpuShares: weightToShares(weight) } : {}),
    },
    memory: {
      rssBytes: mem.get('anon') ?? 0,
      cacheBytes: mem.get('file') ?? 0,
      swapBytes: swap ?? 0,
      mappedFileBytes: mem.get('file_mapped') ?? 0,
      oomKills: events.get('oom_kill') ?? 0,
    },
    processes,
    io: parseIoStat(io ?? ''),
  });
}

function readV1(f: string[], rel: string): Stats {
  const [usageNs, cpuacct, cpu, period, quota, shares, mem, usage, limit, oom, pids, processes] = [
    num(f[0]!), keyed(f[1]!), keyed(f[2]!), num(f[3]!), num(f[4]!), num(f[5]!), keyed(f[6]!), num(f[7]!), num(f[8]!), keyed(f[9]!), num(f[10]!), lineCount(f[11]!),
  ];
  // runc's order: the BFQ scheduler's counters when it has any, else the throttling layer's (which
  // sees every request, whatever the device's scheduler).
  // A container without a blkio cgroup of its own (berth's launcher makes none without an I/O limit):
  // its four files are not opened, each a failed open and an error made and thrown.
  let io = new Map<string, Omit<IoRow, 'device'>>();
  for (const at of existsSync(f[16]!) ? [12, 14] : []) {
    io = parseBlkio(text(f[at]!) ?? '', text(f[at + 1]!) ?? '');
    if (io.size) break;
  }
  return assemble({
    path: `/${rel}`,
    cpuSeconds: (usageNs ?? 0) / 1e9,
    cpuStat: cpu,
    cpu: {
      userSeconds: (cpuacct.get('user') ?? 0) / USER_HZ,
      systemSeconds: (cpuacct.get('system') ?? 0) / USER_HZ,
      throttledSeconds: (cpu.get('throttled_time') ?? 0) / 1e9,
    },
    usage,
    limit,
    inactiveFile: mem.get('total_inactive_file') ?? 0,
    pids,
    spec: {
      ...(period !== undefined ? { cpuPeriodUs: period, cpuQuotaUs: quota === undefined || quota < 0 ? 0 : quota } : {}),
      ...(shares !== undefined ? { cpuShares: shares } : {}),
    },
    memory: {
      rssBytes: mem.get('total_rss') ?? 0,
      cacheBytes: mem.get('total_cache') ?? 0,
      swapBytes: mem.get('total_swap') ?? 0,
      mappedFileBytes: mem.get('total_mapped_file') ?? 0,
      oomKills: oom.get('oom_kill') ?? 0,
    },
    processes,
    io,
  });
}
