// Which Container a reference names, as Docker reads one: the name, else the full id, else a
// prefix of an id that no other container shares.
import { InvalidArgumentError, NotFoundError } from '../../specs/errdefs.ts';
import type { ContainerResource } from '../../specs/api/containers.ts';

export function resolveContainer(all: ContainerResource[], ref: string, idOf: (r: ContainerResource) => string | undefined): ContainerResource {
  const byName = all.find((r) => r.metadata.name === ref);
  if (byName) return byName;
  if (/^[0-9a-f]{1,64}$/.test(ref)) {
    const hits = all.filter((r) => idOf(r)?.startsWith(ref));
    if (hits.length === 1) return hits[0]!;
    if (hits.length > 1) {
      throw new InvalidArgumentError(`container id prefix "${ref}" is ambiguous (${hits.map((r) => r.metadata.name).join(', ')}); give more of the id, or the name`);
    }
  }
  throw new NotFoundError(`no container named "${ref}" (see \`berth ps -a\`)`);
}
