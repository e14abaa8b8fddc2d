// Applying manifests to the store: validate everything first (with the store's Images known), then
// create/update every object and prune what the named sources no longer define, all in one
// transaction — so an invalid document means nothing is applied, and a crash applies all or nothing.
import { InvalidArgumentError } from '../specs/errdefs.ts';
import { formatManifestError, loadManifestsOrThrow, type LoadedObject, type ManifestInput } from '../specs/load.ts';
import type { Manifest, Resource } from '../specs/objects.ts';
import type { Store } from '../store/store.ts';
import type { EventRecorder } from './events.ts';
import type { ApplyOutcome, ApplyResultAction, ApplyResultItem, PruneScope } from '../specs/api/objects.ts';

export interface ApplyInput {
  documents: ManifestInput[];
  /** The source recorded for objects of each document (file:/abs/path, watch:/abs/path, stdin). */
  sourceOf(input: ManifestInput): string;
  dryRun?: boolean;
  /** Remove objects of these sources that the documents no longer define. */
  prune?: PruneScope;
}

/** The source of a document given by path: the CLI's `-f` files and stdin. */
export function cliSourceOf(input: ManifestInput): string {
  return input.file === '<stdin>' ? 'stdin' : `file:${input.file}`;
}

export class Applier {
  readonly #store: Store;
  readonly #events: EventRecorder;

  constructor(store: Store, events: EventRecorder) {
    this.#store = store;
    this.#events = events;
  }

  /** Objects of the prune scope that `keep` does not define: what a prune would remove. */
  pruneCandidates(scope: PruneScope | undefined, keep: Manifest[]): Resource[] {
    if (!scope || (!scope.sources?.length && !scope.prefixes?.length)) return [];
    const kept = new Set(keep.map((m) => `${m.kind}/${m.metadata.name}`));
    return this.#store.listBySource(scope).filter((r) => !kept.has(`${r.kind}/${r.metadata.name}`));
  }

  /** Validates all documents against each other and the store; throws ManifestInvalidError listing every problem. */
  validate(input: ApplyInput): { objects: LoadedObject[]; prune: Resource[] } {
    // Images the Containers may name: those in the store, except what this apply prunes.
    const firstPass = loadManifestsOrThrow(input.documents, { knownImages: this.#imagesInStore() });
    const prune = this.pruneCandidates(input.prune, firstPass.map((o) => o.manifest));
    if (!prune.some((r) => r.kind === 'Image')) return { objects: firstPass, prune };
    const pruned = new Set(prune.filter((r) => r.kind === 'Image').map((r) => r.metadata.name));
    const objects = loadManifestsOrThrow(input.documents, { knownImages: this.#imagesInStore().filter((n) => !pruned.has(n)) });
    return { objects, prune };
  }

  #imagesInStore(): string[] {
    return this.#store.list('Image').map((r) => r.metadata.name);
  }

  apply(input: ApplyInput): ApplyOutcome {
    if (input.documents.length === 0 && !input.prune) throw new InvalidArgumentError('nothing to apply: no documents given');
    const dryRun = input.dryRun ?? false;
    return this.#store.transaction(() => {
      const { objects, prune } = this.validate(input);
      const sources = new Map(input.documents.map((d) => [d.file, input.sourceOf(d)]));
      const results: ApplyResultItem[] = [];
      for (const o of objects) {
        const source = sources.get(o.file)!;
        const r = dryRun ? this.#store.plan(o.manifest, source) : this.#store.put(o.manifest, source);
        results.push({
          kind: o.manifest.kind,
          name: o.manifest.metadata.name,
          action: r.action,
          generation: r.resource.metadata.generation,
          source,
          object: r.resource,
          ...(r.previous ? { previous: r.previous } : {}),
        });
        if (!dryRun && r.action !== 'unchanged') {
          const target = { kind: o.manifest.kind, name: o.manifest.metadata.name, uid: r.resource.metadata.uid };
          if (r.action === 'created') this.#events.normal(target, 'Created', `created from ${source}`);
          else if (r.previous && r.previous.metadata.generation !== r.resource.metadata.generation) {
            this.#events.normal(target, 'Updated', `spec changed (generation ${r.resource.metadata.generation}) from ${source}`);
          } else this.#events.normal(target, 'Configured', `metadata or source changed from ${source}`);
        }
      }
      for (const r of prune) {
        if (!dryRun) {
          this.#store.delete(r.kind, r.metadata.name);
          this.#events.normal({ kind: r.kind, name: r.metadata.name, uid: r.metadata.uid }, 'Pruned', `no longer defined by ${r.metadata.source}`);
        }
        results.push({ kind: r.kind, name: r.metadata.name, action: 'pruned', generation: r.metadata.generation, source: r.metadata.source, object: r });
      }
      const warnings = objects.flatMap((o) => o.warnings ?? []).map(formatManifestError);
      return { dryRun, results, ...(warnings.length ? { warnings } : {}) };
    });
  }
}
