// `berth build`: sends the context (its path when the daemon is on this host's unix socket, else a
// tar of it), prints one line per step (cached ones marked), the steps' output as it comes, and the
// failing step's line and exit code.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { InvalidArgumentError } from '../../specs/errdefs.ts';
import type { ApiClient } from '../client.ts';
import type { BuildEvent } from '../../specs/api/images.ts';

export interface BuildCliOptions {
  tag: string[];
  file?: string;
  buildArg: string[];
  target?: string;
  cache: boolean;
  network: string;
  quiet?: boolean;
}

export async function build(client: ApiClient, contextArg: string, o: BuildCliOptions): Promise<number> {
  const context = resolve(contextArg);
  if (!existsSync(context)) throw new InvalidArgumentError(`build context ${contextArg} does not exist`);
  const local = !/^(?:tcp:\/\/)?[^/]*:\d+$/.test(client.address);
  let dockerfile = o.file ? resolve(o.file) : undefined;
  if (dockerfile && !local) {
    const rel = relative(context, dockerfile);
    if (rel.startsWith('..') || isAbsolute(rel)) throw new InvalidArgumentError(`-f ${o.file}: with a remote daemon the Dockerfile must be inside the context`);
    dockerfile = rel;
  }
  const query = {
    t: o.tag,
    buildarg: o.buildArg,
    nocache: !o.cache,
    network: o.network,
    ...(dockerfile ? { dockerfile } : {}),
    ...(o.target ? { target: o.target } : {}),
    ...(local ? { context } : {}),
  };
  let body: Readable | undefined;
  if (!local) {
    // As Docker's CLI: what .dockerignore excludes is not sent (the Dockerfile and .dockerignore are).
    const tar = await import('tar');
    const { IgnoreMatcher } = await import('../../specs/dockerignore.ts');
    const ignore = IgnoreMatcher.parse(await readFile(join(context, '.dockerignore'), 'utf8').catch(() => ''));
    const keep = new Set(['.dockerignore', dockerfile ?? 'Dockerfile']);
    // A directory is walked into when exceptions (`!dir/keep`) may bring back something under it;
    // its files are then filtered one by one, as moby's patternmatcher does.
    const filter = (p: string, st: { type?: string } | { isDirectory(): boolean }) => {
      const dir = 'isDirectory' in st ? st.isDirectory() : st.type === 'Directory';
      const rel = p.replace(/^\.\/?/, '');
      return rel === '' || keep.has(rel) || !ignore.ignores(rel) || (ignore.hasExclusions && dir);
    };
    body = Readable.from(tar.c({ cwd: context, portable: true, filter }, ['.']) as unknown as AsyncIterable<Buffer>);
  }
  for await (const e of client.stream<BuildEvent>('POST', '/v1/build', { query, ...(body ? { body } : {}) })) {
    if (o.quiet) {
      if (e.type === 'done') process.stdout.write(`${e.image.id}\n`);
      continue;
    }
    if (e.type === 'step') process.stdout.write(`STEP ${e.step}/${e.steps} [${e.stage}]: ${e.text}${e.cached ? '  CACHED' : ''}\n`);
    else if (e.type === 'output') (e.stream === 'stderr' ? process.stderr : process.stdout).write(e.text);
    else if (e.type === 'warning') process.stderr.write(`warning: ${e.text}\n`);
    else if (e.type === 'done') {
      process.stdout.write(`Successfully built ${e.image.id.slice(7, 19)}\n`);
      for (const t of e.image.tags) process.stdout.write(`Successfully tagged ${t}\n`);
    }
  }
  return 0;
}
