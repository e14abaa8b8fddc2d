// Verbs that take manifests: apply, diff, delete, validate, schema. Thin: read the files, call the
// API (or, for validate and schema, the shared specs code), print.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ManifestInvalidError, extractRefs, formatManifestError, loadManifests, type ManifestInput } from '../../specs/load.ts';
import { InvalidArgumentError } from '../../specs/errdefs.ts';
import { readManifestInputs } from '../../specs/files.ts';
import { resolveKind } from '../../specs/kinds.ts';
import type { Resource } from '../../specs/objects.ts';
import type { ApiClient } from '../client.ts';
import { formatJson, formatYaml } from '../output.ts';
import type { ApplyOutcome, PruneScope } from '../../specs/api/objects.ts';

function requirePaths(paths: string[] | undefined, verb: string): string[] {
  if (!paths?.length) throw new InvalidArgumentError(`${verb} needs -f PATH (a file, a directory, or - for stdin)`);
  return paths;
}

/** The sources `--prune` may remove from: exactly the files given, everything under the directories given. */
export function pruneScopeOf(paths: string[], cwd = process.cwd()): PruneScope {
  const scope: Required<PruneScope> = { sources: [], prefixes: [] };
  for (const p of paths) {
    if (p === '-') scope.sources.push('stdin');
    else {
      const abs = resolve(cwd, p);
      if (statSync(abs).isDirectory()) scope.prefixes.push(`file:${abs.replace(/\/$/, '')}/`);
      else scope.sources.push(`file:${abs}`);
    }
  }
  return scope;
}

const ref = (kind: string, name: string) => `${kind.toLowerCase()}/${name}`;

/** What the last apply() applied (for `apply --wait`). */
export let lastApplied: Array<{ kind: string; name: string }> = [];

export async function apply(client: ApiClient, paths: string[], opts: { dryRun?: boolean | string; prune?: boolean; output?: string }): Promise<number> {
  const files = requirePaths(paths, 'apply');
  const documents = await readManifestInputs(files);
  if (opts.dryRun !== undefined && opts.dryRun !== true && opts.dryRun !== 'server' && opts.dryRun !== 'client') {
    throw new InvalidArgumentError(`--dry-run "${opts.dryRun}" must be client or server`);
  }
  if (opts.dryRun === 'client') return applyClientDryRun(client, documents);
  const out = await client.json<ApplyOutcome>('POST', '/v1/apply', {
    body: { documents, dryRun: !!opts.dryRun, ...(opts.prune ? { prune: pruneScopeOf(files) } : {}) },
  });
  lastApplied = out.results.map(({ kind, name }) => ({ kind, name }));
  // kubectl's form: one "Warning:" line each, on stderr, whatever the output format.
  for (const w of out.warnings ?? []) process.stderr.write(`Warning: ${w}\n`);
  if (opts.output === 'json') {
    process.stdout.write(formatJson({ dryRun: out.dryRun, results: out.results.map(({ kind, name, action, generation, source }) => ({ kind, name, action, generation, source })) }));
    return 0;
  }
  const suffix = out.dryRun ? ' (dry run)' : '';
  for (const r of out.results) process.stdout.write(`${ref(r.kind, r.name)} ${r.action}${suffix}\n`);
  return 0;
}

/**
 * `apply --dry-run=client`: the manifests checked here (file:line:col), then each object said
 * created or configured by whether the daemon has it; nothing is sent to be stored.
 */
async function applyClientDryRun(client: ApiClient, documents: ManifestInput[]): Promise<number> {
  const { objects, errors, warnings } = loadManifests(documents);
  if (errors.length) throw new ManifestInvalidError(errors);
  for (const w of warnings) process.stderr.write(`Warning: ${formatManifestError(w)}\n`);
  for (const o of objects) {
    const { kind, metadata } = o.manifest;
    const exists = await client.json('GET', `/v1/objects/${kind}/${encodeURIComponent(metadata.name)}`).then(() => true, () => false);
    process.stdout.write(`${ref(kind, metadata.name)} ${exists ? 'configured' : 'created'} (dry run)\n`);
  }
  return 0;
}

/** The part of an object a person writes: what `diff` compares. */
function manifestView(r: Resource | null): string {
  if (!r) return '';
  const { name, labels, annotations } = r.metadata;
  return JSON.stringify({ apiVersion: r.apiVersion, kind: r.kind, metadata: { name, ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) }, spec: r.spec });
}

export async function diff(client: ApiClient, paths: string[], opts: { prune?: boolean }): Promise<number> {
  const files = requirePaths(paths, 'diff');
  const documents = await readManifestInputs(files);
  const { items } = await client.json<{ items: Array<{ kind: string; name: string; action: string; live: Resource | null; desired: Resource | null }> }>(
    'POST',
    '/v1/diff',
    { body: { documents, ...(opts.prune ? { prune: pruneScopeOf(files) } : {}) } },
  );
  const { createTwoFilesPatch } = await import('diff');
  let differences = 0;
  for (const it of items) {
    const live = manifestView(it.live);
    const desired = manifestView(it.desired);
    if (live === desired) continue;
    differences++;
    const text = async (v: string) => (v ? await formatYaml(JSON.parse(v)) : '');
    const name = ref(it.kind, it.name);
    const patch = createTwoFilesPatch(it.live ? `live/${name}` : '/dev/null', it.desired ? `desired/${name}` : '/dev/null', await text(live), await text(desired), undefined, undefined, { context: 3 });
    // Drop the "Index:"/"====" preamble: a plain unified diff as `diff -u` prints it.
    process.stdout.write(patch.split('\n').filter((l) => !l.startsWith('Index: ') && !/^=+$/.test(l)).join('\n'));
  }
  return differences ? 1 : 0;
}

export async function deleteFromFiles(client: ApiClient, paths: string[], opts: { ignoreNotFound?: boolean }): Promise<number> {
  const documents = await readManifestInputs(requirePaths(paths, 'delete'));
  const { refs, errors } = extractRefs(documents);
  if (errors.length) throw new ManifestInvalidError(errors);
  return deleteRefs(client, refs.map((r) => ({ kind: resolveKind(r.kind), name: r.name })), opts);
}

export async function deleteRefs(client: ApiClient, refs: Array<{ kind: string; name: string }>, opts: { ignoreNotFound?: boolean }): Promise<number> {
  const { results } = await client.json<{ results: Array<{ kind: string; name: string; action: 'deleted' | 'notfound' }> }>('POST', '/v1/delete', { body: { objects: refs } });
  let missing = 0;
  for (const r of results) {
    if (r.action === 'deleted') process.stdout.write(`${ref(r.kind, r.name)} deleted\n`);
    else if (!opts.ignoreNotFound) {
      missing++;
      process.stderr.write(`error: ${r.kind} "${r.name}" not found\n`);
    }
  }
  return missing ? 1 : 0;
}

export async function validate(paths: string[], opts: { output?: string }): Promise<number> {
  const inputs: ManifestInput[] = await readManifestInputs(requirePaths(paths, 'validate'));
  const { objects, errors } = loadManifests(inputs);
  if (opts.output === 'json') {
    process.stdout.write(formatJson({ valid: errors.length === 0, objects: objects.map((o) => ({ kind: o.manifest.kind, name: o.manifest.metadata.name, file: o.file, line: o.line, col: o.col })), errors }));
    return errors.length ? 1 : 0;
  }
  if (errors.length) throw new ManifestInvalidError(errors);
  for (const o of objects) process.stdout.write(`${ref(o.manifest.kind, o.manifest.metadata.name)} valid (${o.file}:${o.line})\n`);
  return 0;
}

export async function schema(kind: string | undefined, opts: { output?: string }): Promise<number> {
  const { manifestJsonSchema } = await import('../../specs/jsonschema.ts');
  const js = manifestJsonSchema(kind ? resolveKind(kind) : undefined);
  process.stdout.write(opts.output === 'yaml' ? await formatYaml(js) : formatJson(js));
  return 0;
}
