// `berth export [KIND/NAME…] [-f manifests/] --to kubernetes`: berth objects — from the daemon, or
// from manifest files (read and checked here, no daemon needed) — as Kubernetes manifests on
// stdout, one YAML document each; what Kubernetes cannot express is said on stderr. Thin: the
// translation is specs/kube/export.ts.
import { ManifestInvalidError, formatManifestError, loadManifests } from '../../specs/load.ts';
import { InvalidArgumentError } from '../../specs/errdefs.ts';
import { readManifestInputs } from '../../specs/files.ts';
import { kindAndName } from '../../specs/kinds.ts';
import { exportToKubernetes, type ExportObject } from '../../specs/kube/export.ts';
import type { ImageSpec } from '../../specs/schema.ts';
import type { Resource } from '../../specs/objects.ts';
import type { ApiClient } from '../client.ts';
import { formatYaml } from '../output.ts';

export interface ExportOpts {
  filename?: string[];
  to?: string;
  image?: string[];
}

function pushedImages(pairs: string[] = []): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of pairs) {
    const i = p.indexOf('=');
    if (i <= 0 || i === p.length - 1) throw new InvalidArgumentError(`--image "${p}": write NAME=REGISTRY/REPO:TAG (an Image object's name and where it was pushed)`);
    out.set(p.slice(0, i), p.slice(i + 1));
  }
  return out;
}

export async function exportObjects(client: () => Promise<ApiClient>, refs: string[], opts: ExportOpts): Promise<number> {
  if (opts.to !== 'kubernetes') throw new InvalidArgumentError(`--to ${opts.to === undefined ? 'is required' : `"${opts.to}" is not known`}: berth exports to kubernetes (--to kubernetes)`);
  const pushed = pushedImages(opts.image);
  let objects: ExportObject[] = [];
  const images = new Map<string, ImageSpec>();
  if (opts.filename?.length) {
    const { objects: loaded, errors } = loadManifests(await readManifestInputs(opts.filename));
    if (errors.length) throw new ManifestInvalidError(errors);
    objects = loaded.map((o) => o.manifest);
    for (const m of objects) if (m.kind === 'Image') images.set(m.metadata.name, m.spec as ImageSpec);
  }
  if (refs.length || !opts.filename?.length) {
    const c = await client();
    for (const r of (await c.json<{ items: Resource[] }>('GET', '/v1/objects', { query: { kind: 'Image' } })).items) if (!images.has(r.metadata.name)) images.set(r.metadata.name, r.spec as ImageSpec);
    if (refs.length) {
      for (const ref of refs) {
        const { kind, name } = kindAndName(ref, undefined);
        if (!name) throw new InvalidArgumentError(`"${ref}" names no object: write KIND/NAME (e.g. container/web)`);
        objects.push(await c.json<Resource>('GET', `/v1/objects/${kind}/${encodeURIComponent(name)}`));
      }
    } else if (!opts.filename?.length) {
      objects = (await c.json<{ items: Resource[] }>('GET', '/v1/objects')).items;
    }
  }
  const { documents, warnings } = exportToKubernetes(objects, { images, pushed });
  for (const w of warnings) process.stderr.write(`Warning: ${w}\n`);
  const texts = await Promise.all(documents.map((d) => formatYaml(d)));
  process.stdout.write(texts.join('---\n'));
  return 0;
}

export { formatManifestError };
