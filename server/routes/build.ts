// POST /v1/build: a Dockerfile build (the image service's), its progress streamed as NDJSON. The context is either a
// directory on the daemon's host (`?context=/abs/path` — a unix socket means the same host) or a
// tar of it as the request body, unpacked into a temporary directory (node-tar's path protections:
// no absolute paths, no `..`, nothing written through a symlink) and removed afterwards.
import { randomBytes } from 'node:crypto';
import { mkdir, realpath, rm, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { BuildOptions } from '../../engine/builder/builder.ts';
import { InvalidArgumentError, UnavailableError } from '../../specs/errdefs.ts';
import { queryFlag, type ApiRequest, type Route } from '../api.ts';
import type { DaemonContext } from '../context.ts';
import { taskStream } from '../stream.ts';
import type { BuildEvent } from '../../specs/api/images.ts';

async function localContext(path: string): Promise<string> {
  if (!isAbsolute(path)) throw new InvalidArgumentError(`build context "${path}" must be an absolute path on the daemon's host`);
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    throw new InvalidArgumentError(`build context ${path} does not exist on the daemon's host`);
  }
  if (!(await stat(real)).isDirectory()) throw new InvalidArgumentError(`build context ${path} is not a directory`);
  return real;
}

function buildArgs(values: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of values) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new InvalidArgumentError(`--build-arg "${kv}" must be NAME=VALUE`);
    out[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return out;
}

/**
 * A build context uploaded as a tar (the request's body), unpacked into a directory of its own
 * under <root>/build/contexts; cleanup removes it. Docker's POST /build takes it the same way.
 */
export async function uploadedContext(ctx: DaemonContext, req: ApiRequest, dockerfile: string | undefined): Promise<{ context: string; cleanup: () => Promise<void> }> {
  if (dockerfile && isAbsolute(dockerfile)) throw new InvalidArgumentError('with an uploaded context, the Dockerfile must be a path inside it');
  const dir = join(ctx.root, 'build', 'contexts', randomBytes(8).toString('hex'));
  await mkdir(dir, { recursive: true });
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    const tar = await import('tar');
    await pipeline(req.raw, tar.x({ cwd: dir, strict: true, preserveOwner: false }));
  } catch (err) {
    await cleanup();
    throw new InvalidArgumentError(`the uploaded build context is not a readable tar: ${(err as Error).message}`);
  }
  return { context: dir, cleanup };
}

export default function routes(ctx: DaemonContext): Route[] {
  return [
    {
      method: 'POST',
      path: '/v1/build',
      rawBody: true,
      handler: async (req: ApiRequest) => {
        const images = ctx.images;
        if (!images) throw new UnavailableError('this daemon has no builder (it runs without a container runtime); start it with --runtime runc or native');
        const q = req.query;
        const tags = q.getAll('t');
        const network = q.get('network') ?? 'default';
        if (!['default', 'none', 'host'].includes(network)) throw new InvalidArgumentError(`network "${network}" must be default, none or host`);
        const local = q.get('context');
        const opts: Omit<BuildOptions, 'context'> = {
          tags,
          buildArgs: buildArgs(q.getAll('buildarg')),
          noCache: queryFlag(q, 'nocache'),
          network: network as BuildOptions['network'],
          signal: req.signal,
          ...(q.get('dockerfile') ? { dockerfile: q.get('dockerfile')! } : {}),
          ...(q.get('target') ? { target: q.get('target')! } : {}),
        };
        const { context, cleanup } = local !== null ? { context: await localContext(local), cleanup: async () => undefined } : await uploadedContext(ctx, req, opts.dockerfile);
        return {
          ndjson: taskStream<BuildEvent, unknown>(async (push) => {
            try {
              await images.build({ ...opts, context }, push);
            } finally {
              await cleanup();
            }
          }),
        };
      },
    },
  ];
}
