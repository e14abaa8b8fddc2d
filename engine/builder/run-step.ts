// RUN: the command runs in a build container on the step's merged rootfs, through the Runtime
// (native launcher or runc), in its own empty network namespace unless --network host. Its output
// is streamed to the caller; mount points the runtime had to create (/proc, /dev, /etc/hosts…)
// are removed again so they do not end up in the layer.
import { randomBytes } from 'node:crypto';
import { chmod, lstat, readdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { ociConfig } from '../bundle.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { resolveUser } from '../container-config.ts';
// Docker's PATH, set for RUN when the image has none (as for a container).
import { DEFAULT_PATH } from '../container-config.ts';
import type { Heredoc } from './lexer.ts';
import { readInRoot, resolveInRoot } from './rootfs-path.ts';
import { mkdir } from 'node:fs/promises';

/** The runtime ids of RUN steps' containers: what a daemon killed mid-build leaves is found by it. */
export const BUILD_CONTAINER_PREFIX = 'berth-build-';

export interface RunStepOptions {
  runtime: Runtime;
  /** The step's working directory (bundle, hosts file, scripts). */
  stepDir: string;
  rootfs: string;
  args: string[];
  env: string[];
  workdir: string;
  user: string;
  network: 'none' | 'host';
  /** A script mounted at /dev/.berth-heredoc and run directly (RUN <<EOF with a #! line). */
  script?: string;
  onOutput?: (stream: 'stdout' | 'stderr', text: string) => void;
  /** The cgroup the build container goes under (e.g. "berth/build"). */
  cgroupParent?: string;
  /** Aborting kills the step's container (the client went away). */
  signal?: AbortSignal;
}

const STUBS = ['proc', 'sys', 'dev', 'etc/hosts', 'etc/resolv.conf', 'etc'];
export const HEREDOC_SCRIPT = '/dev/.berth-heredoc';

/** The argv of a RUN with heredocs, as BuildKit runs it. */
export function heredocArgv(cmd: string, heredocs: Heredoc[], shell: string[]): { args: string[]; script?: string } {
  const only = heredocs.length === 1 && /^\d*<<-?\s*(["']?)[A-Za-z_][A-Za-z0-9_.-]*\1$/.test(cmd.trim());
  if (only) {
    const content = heredocs[0]!.content;
    if (content.startsWith('#!')) return { args: [HEREDOC_SCRIPT], script: content };
    return { args: [...shell, content] };
  }
  return { args: [...shell, `${cmd}\n${heredocs.map((h) => `${h.content}${h.name}\n`).join('')}`] };
}

export async function runStep(o: RunStepOptions): Promise<{ exitCode: number; signal?: string }> {
  const existed = new Map<string, boolean>();
  for (const s of STUBS) existed.set(s, (await throughSymlink(o.rootfs, s)) || !!(await lstat(join(o.rootfs, s)).catch(() => undefined)));
  const passwd = await readInRoot(o.rootfs, 'etc/passwd');
  const group = await readInRoot(o.rootfs, 'etc/group');
  const user = resolveUser(o.user, passwd, group);
  // The working directory exists before the command runs (it is part of this step's layer).
  const cwdHost = await resolveInRoot(o.rootfs, o.workdir || '/');
  await mkdir(cwdHost, { recursive: true });
  const env = o.env.some((e) => e.startsWith('PATH=')) ? o.env : [`PATH=${DEFAULT_PATH}`, ...o.env];
  const hosts = join(o.stepDir, 'hosts');
  await writeFile(hosts, '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n');
  const resolv = join(o.stepDir, 'resolv.conf');
  await writeFile(resolv, o.network === 'host' ? await readFile('/etc/resolv.conf', 'utf8').catch(() => '') : '');
  const mounts: Array<{ destination: string; type: 'bind'; source: string; options: string[] }> = [];
  if (o.script !== undefined) {
    const p = join(o.stepDir, 'heredoc-script');
    await writeFile(p, o.script);
    await chmod(p, 0o755);
    mounts.push({ destination: HEREDOC_SCRIPT, type: 'bind', source: p, options: ['rbind', 'ro'] });
  }
  const id = `${BUILD_CONTAINER_PREFIX}${randomBytes(6).toString('hex')}`;
  const config = ociConfig({
    run: {
      args: o.args,
      env,
      cwd: posix.normalize(o.workdir || '/'),
      user: o.user,
      hostname: id.slice(0, 24),
      stopSignal: 'SIGKILL',
      readonlyRootfs: false,
      mounts,
      resources: {},
    },
    user,
    rootfs: o.rootfs,
    etcFiles: { hosts, resolvConf: resolv },
    annotations: { 'dev.berth.build': 'true' },
    cgroupsPath: `/${o.cgroupParent ?? 'berth-build'}/${id}`,
  });
  // No network namespace path: the runtime makes a new, empty one (only a loopback device).
  if (o.network === 'none') config.linux.namespaces.push({ type: 'network' });
  const bundle = join(o.stepDir, 'bundle');
  await mkdir(bundle, { recursive: true });
  await writeFile(join(bundle, 'config.json'), JSON.stringify(config));
  try {
    await o.runtime.run({ id, bundle });
    const kill = () => void o.runtime.kill(id, 'SIGKILL').catch(() => undefined);
    o.signal?.addEventListener('abort', kill, { once: true });
    if (o.signal?.aborted) kill();
    const logs = (async () => {
      for await (const e of o.runtime.logs(id, { follow: true })) o.onOutput?.(e.stream, e.log);
    })();
    const exit = await o.runtime.wait(id);
    await logs.catch(() => undefined);
    o.signal?.removeEventListener('abort', kill);
    o.signal?.throwIfAborted();
    return { exitCode: exit.exitCode, ...(exit.signal ? { signal: exit.signal } : {}) };
  } finally {
    await o.runtime.delete(id, { force: true }).catch(() => undefined);
    await removeStubs(o.rootfs, existed);
  }
}

/** Is any directory on the way to rel a symlink? (Then it is not ours to clean: never follow it.) */
async function throughSymlink(rootfs: string, rel: string): Promise<boolean> {
  const parts = rel.split('/');
  for (let i = 1; i < parts.length; i++) if ((await lstat(join(rootfs, ...parts.slice(0, i))).catch(() => undefined))?.isSymbolicLink()) return true;
  return false;
}

async function removeStubs(rootfs: string, existed: Map<string, boolean>): Promise<void> {
  for (const s of STUBS) {
    if (existed.get(s) || (await throughSymlink(rootfs, s))) continue;
    const p = join(rootfs, s);
    const st = await lstat(p).catch(() => undefined);
    if (!st) continue;
    if (st.isDirectory()) {
      if ((await readdir(p)).length === 0) await rmdir(p).catch(() => undefined);
    } else if (st.isFile() && st.size === 0) await rm(p, { force: true });
  }
}
