// Kind names as people type them: "container", "containers", "ctr", "Image", "img"...
import { InvalidArgumentError } from './errdefs.ts';
import { kindSchemas } from './kind-schemas.ts';
import { closest } from './suggest.ts';

/** Short names, as kubectl has "po" and "svc". A part that adds a kind may add its own here. */
export const KIND_SHORT_NAMES: Record<string, string> = {
  img: 'Image',
  ctr: 'Container',
  vol: 'Volume',
  // Kubernetes' claims are stored as Volumes: `delete -f claim.yaml` and `get pvc` find them.
  pvc: 'Volume',
  persistentvolumeclaim: 'Volume',
  persistentvolumeclaims: 'Volume',
  // kubectl's short names of the Kubernetes kinds berth has.
  po: 'Pod',
  deploy: 'Deployment',
  cm: 'ConfigMap',
  svc: 'Service',
};

export function knownKinds(): string[] {
  return Object.keys(kindSchemas);
}

/** The canonical kind for a word, or an InvalidArgumentError saying which kinds exist. */
export function resolveKind(word: string): string {
  const w = word.toLowerCase();
  for (const k of knownKinds()) {
    const l = k.toLowerCase();
    if (w === l || w === `${l}s` || KIND_SHORT_NAMES[w] === k) return k;
  }
  const guess = closest(word, knownKinds().flatMap((k) => [k.toLowerCase(), `${k.toLowerCase()}s`]));
  throw new InvalidArgumentError(
    `unknown kind "${word}"${guess ? `; did you mean "${guess}"?` : ''} (kinds: ${knownKinds().join(', ')})`,
  );
}

/** kubectl's forms: `KIND NAME` or `KIND/NAME` (as `apply` prints objects); the canonical kind and the name. */
export function kindAndName(kindWord: string, name: string | undefined): { kind: string; name: string | undefined } {
  const slash = kindWord.indexOf('/');
  if (slash < 0) return { kind: resolveKind(kindWord), name };
  if (name !== undefined) throw new InvalidArgumentError(`give either KIND/NAME or KIND NAME, not "${kindWord}" and "${name}"`);
  const n = kindWord.slice(slash + 1);
  if (!n) throw new InvalidArgumentError(`"${kindWord}" names no object: write KIND/NAME (e.g. container/web)`);
  return { kind: resolveKind(kindWord.slice(0, slash)), name: n };
}
