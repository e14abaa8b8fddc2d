// Applying manifests, as the API reports it: what happened to each object.
import type { Resource } from '../objects.ts';

export type ApplyResultAction = 'created' | 'configured' | 'unchanged' | 'pruned';

/** Which stored objects a prune may remove: those applied from these sources. */
export interface PruneScope {
  /** Objects whose source is exactly one of these... */
  sources?: string[];
  /** ...or starts with one of these (a directory: "file:/abs/dir/"). */
  prefixes?: string[];
}

export interface ApplyResultItem {
  kind: string;
  name: string;
  action: ApplyResultAction;
  generation: number;
  source: string;
  /** The object after the apply (before, for pruned). */
  object: Resource;
  /** The object as it was, when it existed. */
  previous?: Resource;
}

export interface ApplyOutcome {
  dryRun: boolean;
  results: ApplyResultItem[];
  /** Fields of Kubernetes manifests berth ignores: "file:line:col: Kind "name": path: why" each. */
  warnings?: string[];
}
