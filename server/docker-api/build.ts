// Docker's POST /build (the classic builder's API, what `docker build` 20.10 uses without
// BuildKit): the tar context in the body, t, dockerfile, buildargs, labels, target, nocache, networkmode —
// onto the image service's build, as berth's own POST /v1/build; progress as Docker's JSON
// messages ({"stream": …}, and {"aux": {"ID": …}} for the image made).
import type { BuildOptions } from '../../engine/builder/builder.ts';
import { InvalidArgumentError } from '../../specs/errdefs.ts';
import type { BuildEvent } from '../../specs/api/images.ts';
import type { Route } from '../api.ts';
import type { DaemonContext } from '../context.ts';
import { uploadedContext } from '../routes/build.ts';
import { taskStream } from '../stream.ts';
import { flag, imagesOf } from './common.ts';

/** A JSON object of strings given as a query parameter (buildargs, labels). */
function jsonMap(q: URLSearchParams, name: string): Record<string, string> {
  const text = q.get(name);
  if (!text) return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new InvalidArgumentError(`${name} must be a JSON object of strings, e.g. {"VERSION":"1.2"}`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new InvalidArgumentError(`${name} must be a JSON object of strings`);
  return Object.fromEntries(Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== null).map(([k, x]) => [k, String(x)]));
}

/** A build's event as Docker's classic builder words it. */
export function buildMessages(e: BuildEvent): unknown[] {
  switch (e.type) {
    case 'step':
      return [{ stream: `Step ${e.step}/${e.steps} : ${e.text}\n` }, ...(e.cached ? [{ stream: ' ---> Using cache\n' }] : [])];
    case 'output':
      return [{ stream: e.text }];
    case 'warning':
      return [{ stream: `[Warning] ${e.text}\n` }];
    case 'done':
      return [
        { aux: { ID: e.image.id } },
        { stream: `Successfully built ${e.image.id.replace(/^sha256:/, '').slice(0, 12)}\n` },
        ...e.image.tags.map((t) => ({ stream: `Successfully tagged ${t}\n` })),
      ];
  }
}

export default function routes(ctx: DaemonContext): Route[] {
  return [
    {
      method: 'POST',
      path: '/build',
      rawBody: true,
      handler: async (req) => {
        const images = imagesOf(ctx);
        const q = req.query;
        if (q.get('remote')) throw new InvalidArgumentError('remote build contexts (a URL or git repository) are not supported by berth; send the context as a tar');
        const network = q.get('networkmode') || 'default';
        if (!['default', 'none', 'host', 'bridge'].includes(network)) throw new InvalidArgumentError(`networkmode "${network}" must be default, none or host`);
        const opts: Omit<BuildOptions, 'context'> = {
          tags: q.getAll('t'),
          buildArgs: jsonMap(q, 'buildargs'),
          labels: jsonMap(q, 'labels'),
          noCache: flag(q, 'nocache'),
          network: (network === 'bridge' ? 'default' : network) as BuildOptions['network'],
          signal: req.signal,
          ...(q.get('dockerfile') ? { dockerfile: q.get('dockerfile')! } : {}),
          ...(q.get('target') ? { target: q.get('target')! } : {}),
        };
        const { context, cleanup } = await uploadedContext(ctx, req, opts.dockerfile);
        return {
          ndjson: (async function* () {
            for await (const e of taskStream<BuildEvent, void>(async (push) => {
              try {
                await images.build({ ...opts, context }, push);
              } finally {
                await cleanup();
              }
            })) yield* buildMessages(e as BuildEvent);
          })(),
        };
      },
    },
  ];
}
