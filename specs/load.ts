// Loading manifests: multi-document YAML texts → validated, defaulted objects, or every problem
// of every document at once, each located as file:line:col (the YAML node the problem is about,
// found from the zod issue's path). Cross-document checks: duplicate names, and a Container whose
// `image` names an Image object that is neither in the same apply nor already in the store.
import { isAbsolute, dirname, resolve } from 'node:path';
import type { z } from 'zod';
import type { Document, LineCounter, Node as YamlNode } from 'yaml';
import { quickDocuments } from './quick-yaml.ts';
import { yamlTree } from './yaml-tree.ts';
import { InvalidArgumentError } from './errdefs.ts';
import { formatPath, problemsFromIssues, type PathSegment, type Problem } from './problems.ts';
import { API_VERSION, imageIsObjectName } from './schema.ts';
import type { Manifest } from './objects.ts';
import { kindSchemas } from './kind-schemas.ts';
import { readSeccompProfile } from './seccomp-profile.ts';
import { closest, didYouMean } from './suggest.ts';
import { kubeKindOf, kubeKinds } from './kube/kinds.ts';
import { namespacedName } from './kube/pod.ts';
import type { Location } from './api/common.ts';

export interface ManifestInput {
  /** Where the text came from, as shown in messages: an absolute path, or "<stdin>". */
  file: string;
  text: string;
  /** Relative paths in the manifests (Image build.context) resolve against this; default the file's directory. */
  baseDir?: string;
}

export interface ManifestError extends Location {
  message: string;
  /** The field the problem is about, as a path into the document, when it is one field's. */
  path?: PathSegment[];
}

export interface LoadedObject extends Location {
  manifest: Manifest;
  /** Fields of a Kubernetes manifest that berth ignores, each at its file:line:col. */
  warnings?: ManifestError[];
}

export interface LoadResult {
  objects: LoadedObject[];
  errors: ManifestError[];
  /** Every object's warnings (also those of documents with errors). */
  warnings: ManifestError[];
}

export interface LoadOptions {
  /** Image objects that exist already (the store): a Container may name them without defining them. */
  knownImages?: Iterable<string>;
}

/** Thrown when any document is invalid: the message lists every problem, one located line each. */
export class ManifestInvalidError extends InvalidArgumentError {
  readonly errors: ManifestError[];
  constructor(errors: ManifestError[]) {
    const files = new Set(errors.map((e) => e.file)).size;
    super(
      `${errors.map(formatManifestError).join('\n')}\n${errors.length} problem${errors.length === 1 ? '' : 's'} in ${files} file${files === 1 ? '' : 's'}; nothing was applied`,
    );
    this.errors = errors;
  }
}

export function formatManifestError(e: ManifestError): string {
  return `${e.file}:${e.line}:${e.col}: ${e.message}`;
}

const kindNames = (): string[] => [...new Set([...Object.keys(kindSchemas), ...Object.keys(kubeKinds)])];

/** The kind a document is stored as (a v1 PersistentVolumeClaim is a Volume), if berth knows it. */
function storedKind(value: Record<string, unknown>): string | undefined {
  const { kind, apiVersion } = value;
  if (typeof kind !== 'string') return undefined;
  return kubeKindOf(apiVersion, kind, kindSchemas)?.kind ?? (kind in kindSchemas ? kind : undefined);
}

function keyOf(node: unknown): string | undefined {
  if (yamlTree().isScalar(node)) return String(node.value);
  return undefined;
}

/** The source offset of the node at `path` (or of its key), else of the deepest ancestor found. */
function offsetAt(doc: Document, path: PathSegment[], onKey: boolean): number {
  const { isAlias, isMap, isSeq } = yamlTree();
  let node: unknown = doc.contents;
  let offset = (doc.contents as YamlNode | null)?.range?.[0] ?? 0;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((p) => keyOf(p.key) === String(seg));
      if (!pair) break;
      const keyStart = (pair.key as YamlNode | null)?.range?.[0];
      if (onKey && i === path.length - 1 && keyStart !== undefined) return keyStart;
      node = pair.value;
      const valueStart = (pair.value as YamlNode | null)?.range?.[0];
      // `key:` with no value points at the key.
      offset = valueStart ?? keyStart ?? offset;
      if (!pair.value) break;
    } else if (isSeq(node) && typeof seg === 'number' && node.items[seg]) {
      node = node.items[seg];
      offset = (node as YamlNode).range?.[0] ?? offset;
    } else break;
  }
  return offset;
}

interface ParsedDoc {
  input: ManifestInput;
  /** Where the node at `path` is (or its key); throws NEEDS_LOCATION where a quick parse does not know. */
  locate: (path: PathSegment[], onKey: boolean) => Location;
  value: Record<string, unknown>;
  manifest?: Manifest;
  warnings?: ManifestError[];
}

function locate(lc: LineCounter, file: string, offset: number): Location {
  const { line, col } = lc.linePos(offset);
  return { file, line, col };
}

function nameOf(value: Record<string, unknown>): string | undefined {
  const meta = value.metadata as { name?: unknown } | undefined;
  return meta && typeof meta === 'object' && typeof meta.name === 'string' ? meta.name : undefined;
}

function whoOf(value: Record<string, unknown>, kind?: string): string {
  const meta = value.metadata as { name?: unknown } | undefined;
  const name = meta && typeof meta === 'object' && typeof meta.name === 'string' ? meta.name : undefined;
  return kind ? `${kind}${name ? ` "${name}"` : ''}: ` : '';
}

function suggestion(word: string, candidates: Iterable<string>): string {
  const c = closest(word, candidates);
  return c ? ` (did you mean "${c}"?)` : '';
}

function resolvePaths(m: Manifest, baseDir: string): Manifest {
  if (m.kind === 'Image' && m.spec.build && !isAbsolute(m.spec.build.context)) {
    return { ...m, spec: { ...m.spec, build: { ...m.spec.build, context: resolve(baseDir, m.spec.build.context) } } };
  }
  const sc = m.kind === 'Container' ? m.spec.securityContext : undefined;
  if (m.kind === 'Container' && sc?.seccompProfile?.localhostProfile && !isAbsolute(sc.seccompProfile.localhostProfile)) {
    const seccompProfile = { ...sc.seccompProfile, localhostProfile: resolve(baseDir, sc.seccompProfile.localhostProfile) };
    return { ...m, spec: { ...m.spec, securityContext: { ...sc, seccompProfile } } };
  }
  return m;
}

/** A Localhost seccomp profile that cannot be read or is not a profile: the problem, at its field. */
function profileProblem(m: Manifest): Problem | undefined {
  const file = m.kind === 'Container' ? m.spec.securityContext?.seccompProfile?.localhostProfile : undefined;
  if (!file) return undefined;
  const r = readSeccompProfile(file);
  return 'error' in r ? { path: ['spec', 'securityContext', 'seccompProfile', 'localhostProfile'], message: r.error } : undefined;
}

/** Thrown by a quick parse's locate() for any node but a document's own: the located parse is needed. */
const NEEDS_LOCATION = Symbol('needs location');

/**
 * Parses and validates every document of every input; never throws for bad input.
 *
 * Valid manifests are read without a syntax tree first (quick-yaml.ts: 5-10 times faster than the
 * located parse, a fraction of its allocations — an apply of 500 Containers allocated 71 MB for the
 * trees); any problem, warning or text the quick parse does not take, and everything is parsed
 * again with positions, so every message keeps its file:line:col.
 */
export function loadManifests(inputs: ManifestInput[], opts: LoadOptions = {}): LoadResult {
  const quick = quickParse(inputs);
  if (quick) {
    try {
      const result = check(quick, [], opts);
      if (result.errors.length === 0 && result.warnings.length === 0) return result;
    } catch (e) {
      if (e !== NEEDS_LOCATION) throw e;
    }
  }
  return check(...locatedParse(inputs), opts);
}

function quickParse(inputs: ManifestInput[]): ParsedDoc[] | undefined {
  const docs: ParsedDoc[] = [];
  for (const input of inputs) {
    const parsed = quickDocuments(input.text);
    if (!parsed) return undefined;
    for (const { value, line, col } of parsed) {
      const at: Location = { file: input.file, line, col };
      docs.push({
        input,
        value,
        locate: (path) => {
          if (path.length) throw NEEDS_LOCATION;
          return at;
        },
      });
    }
  }
  return docs;
}

/** Every document with a syntax tree and a line counter, and the problems of the YAML itself. */
function locatedParse(inputs: ManifestInput[]): [ParsedDoc[], ManifestError[]] {
  const errors: ManifestError[] = [];
  const docs: ParsedDoc[] = [];

  for (const input of inputs) {
    const { LineCounter, parseAllDocuments } = yamlTree();
    const lc = new LineCounter();
    let parsed: Document[];
    try {
      parsed = parseAllDocuments(input.text, { lineCounter: lc, prettyErrors: false, merge: true }) as unknown as Document[];
    } catch (e) {
      errors.push({ file: input.file, line: 1, col: 1, message: `cannot parse YAML: ${(e as Error).message}` });
      continue;
    }
    if (!Array.isArray(parsed)) parsed = [parsed as Document];
    for (const doc of parsed) {
      const add = (offset: number, message: string) => errors.push({ ...locate(lc, input.file, offset), message });
      if (doc.errors.length) {
        for (const e of doc.errors) add(e.pos[0], `YAML: ${e.message.split('\n')[0]}`);
        continue;
      }
      if (doc.contents === null) continue; // empty document (e.g. a trailing ---)
      let value: unknown;
      try {
        value = doc.toJS({ maxAliasCount: 100 });
      } catch (e) {
        add((doc.contents as YamlNode).range?.[0] ?? 0, `YAML: ${(e as Error).message}`);
        continue;
      }
      if (value === null || value === undefined) continue;
      if (typeof value !== 'object' || Array.isArray(value)) {
        add((doc.contents as YamlNode).range?.[0] ?? 0, `a manifest must be a mapping with apiVersion, kind, metadata and spec, not ${Array.isArray(value) ? 'a list' : typeof value}`);
        continue;
      }
      docs.push({ input, locate: (path, onKey) => locate(lc, input.file, offsetAt(doc, path, onKey)), value: value as Record<string, unknown> });
    }
  }
  return [docs, errors];
}

/** Validates parsed documents, each and against each other (errors: those of the parse so far). */
function check(docs: ParsedDoc[], errors: ManifestError[], opts: LoadOptions): LoadResult {
  for (const d of docs) {
    const add = (p: Problem, prefix: string) =>
      errors.push({
        ...d.locate(p.path, p.onKey ?? false),
        message: `${prefix}${p.path.length ? `${formatPath(p.path)}: ` : ''}${p.message}`,
        ...(p.path.length ? { path: p.path } : {}),
      });
    const { kind, apiVersion } = d.value;
    if (kind === undefined) {
      add({ path: [], message: `missing required field "kind" (one of ${kindNames().join(', ')})` }, '');
      continue;
    }
    if (storedKind(d.value) === undefined) {
      const hint = typeof kind === 'string' ? didYouMean(kind, kindNames()) : '';
      add({ path: ['kind'], message: `unknown kind ${JSON.stringify(kind)}${hint || ` (berth knows ${kindNames().join(', ')})`}` }, '');
      continue;
    }
    const prefix = whoOf(d.value, kind as string);
    const problems: Problem[] = [];
    const foreign = kubeKindOf(apiVersion, kind, kindSchemas);
    const version = foreign?.apiVersion ?? API_VERSION;
    if (apiVersion === undefined) problems.push({ path: [], message: `missing required field "apiVersion" (use "${version}")` });
    else if (apiVersion !== version) problems.push({ path: ['apiVersion'], message: `apiVersion ${JSON.stringify(apiVersion)} is not supported${foreign ? ` for ${kind as string}` : ''}; use "${version}"${kind as string in kubeKinds && !foreign ? ` (or "${kubeKinds[kind as string]!.apiVersion}" as written for Kubernetes)` : ''}` });
    const schema = (foreign?.schema ?? kindSchemas[kind as keyof typeof kindSchemas]) as z.ZodType;
    let input: unknown = { ...d.value, apiVersion: version };
    const refused: string[] = [];
    if (foreign?.prepare) {
      const t = foreign.prepare(input as Record<string, unknown>);
      input = t.value;
      problems.push(...t.errors);
      refused.push(...t.errors.map((e) => e.path.join('.')));
      d.warnings = t.warnings.map((w) => ({
        ...d.locate(w.path, w.onKey ?? false),
        message: `${prefix}${formatPath(w.path)}: ${w.message}`,
        path: w.path,
      }));
    }
    const result = schema.safeParse(input, { reportInput: true });
    // A refused field was taken out: what the schema then says of the object holding it is noise.
    const under = (p: Problem) => refused.some((r) => r === p.path.join('.') || r.startsWith(`${p.path.join('.')}.`));
    if (!result.success) problems.push(...problemsFromIssues(result.error.issues, schema).filter((p) => !under(p)));
    // A Pod's containers are checked as Pod fields and again as members' specs: each problem once.
    const said = new Set<string>();
    for (const p of problems) {
      const key = `${p.path.join('.')}\0${p.message}`;
      if (!said.has(key)) add(p, prefix);
      said.add(key);
    }
    if (result.success && problems.length === 0) {
      const m = foreign ? foreign.convert(result.data as never) : (result.data as unknown as Manifest);
      const manifest = resolvePaths(m, d.input.baseDir ?? dirname(d.input.file));
      const bad = profileProblem(manifest);
      if (bad) add(bad, prefix);
      else d.manifest = manifest;
    }
  }

  // Cross-document checks, on every document whose kind is known (also those with other
  // problems: all problems are reported at once); only fully valid documents become objects.
  const checked = docs.filter((d) => storedKind(d.value) !== undefined);
  const seen = new Map<string, Location>();
  const images = new Set(opts.knownImages ?? []);
  for (const d of checked) {
    const name = nameOf(d.value);
    if (d.value.kind === 'Image' && name) images.add(name);
  }
  const objects: LoadedObject[] = [];
  for (const d of checked) {
    const kind = storedKind(d.value)!;
    const name = nameOf(d.value);
    const at = (path: PathSegment[]) => d.locate(path, false);
    const here = at([]);
    let ok = d.manifest !== undefined;
    if (name) {
      const first = seen.get(`${kind}/${name}`);
      if (first) {
        errors.push({ ...at(['metadata', 'name']), path: ['metadata', 'name'], message: `${d.value.kind as string} "${name}": metadata.name: duplicate: ${d.value.kind === kind ? '' : `${kind} "${name}" `}already defined at ${first.file}:${first.line}:${first.col}` });
        ok = false;
      } else seen.set(`${kind}/${name}`, here);
    }
    for (const [path, image] of imageFields(kind, d.value.spec)) {
      if (typeof image !== 'string' || !image || !imageIsObjectName(image) || images.has(image)) continue;
      errors.push({
        ...at(path),
        path,
        message:
          `${whoOf(d.value, d.value.kind as string)}${formatPath(path)}: no Image object named "${image}"${suggestion(image, images)}; ` +
          `define one (kind: Image) or use a registry reference such as "${image}:latest"`,
      });
      ok = false;
    }
    if (kind === 'Container' && (d.value.spec as { pod?: unknown } | undefined)?.pod !== undefined) {
      errors.push({ ...at(['spec', 'pod']), path: ['spec', 'pod'], message: `${whoOf(d.value, 'Container')}spec.pod: set by berth on the members of a Pod, not in a manifest; write a Pod (kind: Pod) whose containers share its namespaces` });
      ok = false;
    }
    if (ok) objects.push({ ...here, manifest: d.manifest!, ...(d.warnings?.length ? { warnings: d.warnings } : {}) });
  }

  errors.sort((a, b) => (a.file === b.file ? a.line - b.line || a.col - b.col : a.file < b.file ? -1 : 1));
  return { objects, errors, warnings: docs.flatMap((d) => d.warnings ?? []) };
}

/** The image fields of a document's spec, with their paths: a Container's, every container's of a Pod or a Deployment's template. */
function imageFields(kind: string, spec: unknown): Array<[PathSegment[], unknown]> {
  if (!spec || typeof spec !== 'object') return [];
  if (kind === 'Container') return [[['spec', 'image'], (spec as { image?: unknown }).image]];
  const pod = kind === 'Pod' ? { spec, at: ['spec'] } : kind === 'Deployment' ? { spec: (spec as { template?: { spec?: unknown } }).template?.spec, at: ['spec', 'template', 'spec'] } : undefined;
  if (!pod?.spec || typeof pod.spec !== 'object') return [];
  const out: Array<[PathSegment[], unknown]> = [];
  for (const list of ['initContainers', 'containers']) {
    const items = (pod.spec as Record<string, unknown>)[list];
    if (Array.isArray(items)) items.forEach((c, i) => out.push([[...pod.at, list, i, 'image'], (c as { image?: unknown } | null)?.image]));
  }
  return out;
}

/** Like loadManifests, but any problem throws a ManifestInvalidError listing them all. */
export function loadManifestsOrThrow(inputs: ManifestInput[], opts: LoadOptions = {}): LoadedObject[] {
  const { objects, errors } = loadManifests(inputs, opts);
  if (errors.length) throw new ManifestInvalidError(errors);
  return objects;
}

/**
 * Only the kind and name of each document (for `delete -f`, which must work even when the rest of
 * a manifest no longer validates); documents without them are located errors.
 */
export function extractRefs(inputs: ManifestInput[]): { refs: Array<{ kind: string; name: string } & Location>; errors: ManifestError[] } {
  const refs: Array<{ kind: string; name: string } & Location> = [];
  const errors: ManifestError[] = [];
  for (const input of inputs) {
    const { LineCounter, parseAllDocuments } = yamlTree();
    const lc = new LineCounter();
    for (const doc of parseAllDocuments(input.text, { lineCounter: lc, prettyErrors: false }) as unknown as Document[]) {
      const at = (path: PathSegment[]) => locate(lc, input.file, offsetAt(doc, path, false));
      if (doc.errors.length) {
        for (const e of doc.errors) errors.push({ ...locate(lc, input.file, e.pos[0]), message: `YAML: ${e.message.split('\n')[0]}` });
        continue;
      }
      if (doc.contents === null) continue;
      const v = doc.toJS({ maxAliasCount: 100 }) as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } } | null;
      if (v === null || typeof v !== 'object') continue;
      const meta = v.metadata && typeof v.metadata === 'object' ? v.metadata : undefined;
      // A Kubernetes namespace is part of the stored name (kube/pod.ts).
      const name = typeof meta?.name === 'string' ? namespacedName(typeof meta.namespace === 'string' ? meta.namespace : undefined, meta.name) : undefined;
      if (typeof v.kind !== 'string' || typeof name !== 'string') {
        errors.push({ ...at([]), message: 'a document needs kind and metadata.name to say what to delete' });
        continue;
      }
      refs.push({ kind: v.kind, name, ...at([]) });
    }
  }
  return { refs, errors };
}
