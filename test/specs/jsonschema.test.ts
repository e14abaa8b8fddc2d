// `berth schema` is JSON Schema draft-07 (what the YAML language server that manifests/*.yaml point
// at supports fully), checked by a real validator, ajv, in its draft-07 mode: the schema itself, every
// manifest in manifests/, and the fuzz corpus — what the loader rejects, the schema rejects too, but
// for the checks JSON Schema cannot state (references within a document), and it rejects nothing
// the loader accepts.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Ajv, type ValidateFunction } from 'ajv';
import { isIPv4, isIPv6 } from 'node:net';
import { parseAllDocuments, stringify } from 'yaml';
import { manifestJsonSchema } from '../../specs/jsonschema.ts';
import { loadManifests } from '../../specs/load.ts';
import type { PathSegment } from '../../specs/problems.ts';
import { REPO } from '../fixtures/helpers.ts';
import { mutateBytes, mutateStructure, rng, SEEDS } from './fuzz-corpus.ts';

/**
 * ajv's default meta-schema is draft-07. strictSchema: an unknown keyword or format is an error (what
 * an editor would ignore silently). Its style rules are left out: union types (`type: [string,
 * number]`) and `oneOf: [{required: [a]}, {required: [b]}]` are plain draft-07.
 */
const ajv = new Ajv({ strictSchema: true, strictTypes: false, strictRequired: false, allErrors: true });
// The formats the schema uses (draft-07's own; ajv leaves their checks to a plug-in): Node's checks.
ajv.addFormat('ipv4', { type: 'string', validate: (s: string) => isIPv4(s) });
ajv.addFormat('ipv6', { type: 'string', validate: (s: string) => isIPv6(s) });
const validate: ValidateFunction = ajv.compile(manifestJsonSchema());

/** Checks that refer from one field to another of the same document: the loader's alone. */
function refersWithinDocument(path: PathSegment[] | undefined): boolean {
  const p = (path ?? []).map((s) => (typeof s === 'number' ? '#' : s)).join('.');
  return /^spec\.(volumeMounts\.#\.name|volumes\.#\.name|ports\.#\.hostPort|(livenessProbe|readinessProbe)\.(httpGet|tcpSocket)\.port)$/.test(p);
}

/** The loader's verdict on one document, with any Image object it names taken as existing. */
function loaderErrors(text: string, value: unknown) {
  const image = (value as { spec?: { image?: unknown } } | null)?.spec?.image;
  return loadManifests([{ file: '/fuzz.yaml', text }], { knownImages: typeof image === 'string' ? [image] : [] }).errors;
}

describe('berth schema as JSON Schema draft-07', () => {
  it('is a valid draft-07 schema, per kind too', () => {
    const schema = manifestJsonSchema();
    assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
    assert.equal(ajv.validateSchema(schema), true, ajv.errorsText(ajv.errors));
    const kinds = ['Image', 'Container', 'Volume', 'Pod', 'Deployment', 'ConfigMap', 'Secret', 'Service', 'PersistentVolumeClaim'];
    assert.deepEqual(Object.keys(schema.definitions as object), kinds);
    for (const kind of kinds) assert.ok(ajv.compile(manifestJsonSchema(kind)), kind);
  });

  it('accepts every manifest in manifests/', () => {
    const files = readdirSync(join(REPO, 'manifests')).filter((f) => f.endsWith('.yaml'));
    assert.ok(files.length >= 4);
    let docs = 0;
    for (const f of files) {
      for (const doc of parseAllDocuments(readFileSync(join(REPO, 'manifests', f), 'utf8'))) {
        docs++;
        assert.ok(validate(doc.toJS()), `${f}: ${ajv.errorsText(validate.errors)}`);
      }
    }
    assert.ok(docs >= 5);
  });

  it('rejects what the loader rejects in the fuzz corpus (structural and byte mutants), and nothing else', (t) => {
    const texts = ['web.yaml', 'probe.yaml', 'images.yaml'].map((f) => readFileSync(join(REPO, 'manifests', f), 'utf8'));
    const cases = [
      ...Array.from({ length: 1500 }, (_, i) => ({ seed: i + 1, text: stringify(mutateStructure(SEEDS[(i + 1) % SEEDS.length]!, rng(i + 1))) })),
      ...Array.from({ length: 1000 }, (_, i) => ({ seed: 100_001 + i, text: mutateBytes(texts[(i + 1) % texts.length]!, rng(100_001 + i)) })),
    ];
    let rejected = 0;
    let beyondSchema = 0;
    for (const { seed, text } of cases) {
      // Only one well-formed YAML mapping gives a schema something to judge (read as the loader reads it).
      const docs = parseAllDocuments(text, { merge: true, logLevel: 'error' });
      if (!Array.isArray(docs) || docs.length !== 1 || docs[0]!.errors.length || !docs[0]!.contents) continue;
      let value: unknown;
      try {
        value = docs[0]!.toJS({ maxAliasCount: 100 });
      } catch {
        continue;
      }
      if (!value || typeof value !== 'object' || Array.isArray(value)) continue;
      const errors = loaderErrors(text, value);
      const valid = validate(value);
      if (errors.length === 0) {
        assert.ok(valid, `seed ${seed}: the loader accepts it but the schema does not: ${ajv.errorsText(validate.errors)}\n${text}`);
        continue;
      }
      rejected++;
      if (valid) {
        beyondSchema++;
        assert.ok(errors.every((e) => refersWithinDocument(e.path)), `seed ${seed}: the schema accepts what the loader rejects: ${errors.map((e) => e.message).join('; ')}\n${text}`);
      }
    }
    assert.ok(rejected > 1000, `only ${rejected} invalid cases`);
    assert.ok(beyondSchema < rejected / 50, `${beyondSchema} of ${rejected} invalid cases are caught by the loader alone`);
    t.diagnostic(`${rejected} invalid cases, ${beyondSchema} of them caught by the loader alone (references within a document)`);
  });
});
