// The `yaml` package, loaded on first use. Manifests are read by quick-yaml.ts (js-yaml); the
// syntax tree with positions is needed only for a text with a problem (its file:line:col) or with
// what js-yaml reads otherwise, and for a seccomp profile's JSON error. Imported as a module, the
// package and its source stay in the daemon's heap from its start (~0.9 MiB); required here, only
// once a text needs it. (Synchronous: the loaders that use it are.)
import { createRequire } from 'node:module';

type Yaml = typeof import('yaml');

let loaded: Yaml | undefined;

export function yamlTree(): Yaml {
  return (loaded ??= createRequire(import.meta.url)('yaml') as Yaml);
}
