// JSON Schema (draft-07, what the YAML language server fully supports) of the manifests, generated
// from the same zod definitions that validate them, for `berth schema` and editors
// (`# yaml-language-server: $schema=berth.schema.json`). Checks that span documents (a Container's
// Image object) or refer within one (probe port names, volumeMounts to volumes) are the loader's alone.
import { z } from 'zod';
import { API_VERSION } from './schema.ts';
import { kindSchemas } from './kind-schemas.ts';
import { foreignKinds } from './volume.ts';

/** One schema for any berth manifest (anyOf the kinds, told apart by `kind`), or for one kind. */
export function manifestJsonSchema(kind?: string): Record<string, unknown> {
  // The whole schema also takes the Kubernetes kinds berth stores as its own (a v1 PersistentVolumeClaim).
  const kinds = kind ? [kind] : [...Object.keys(kindSchemas), ...Object.keys(foreignKinds)];
  const defs: Record<string, unknown> = {};
  for (const k of kinds) {
    const foreign = (foreignKinds as Record<string, (typeof foreignKinds)[keyof typeof foreignKinds]>)[k];
    const schema = foreign?.schema ?? kindSchemas[k as keyof typeof kindSchemas];
    // io: 'input' — what a person writes: fields with defaults are optional.
    const js = z.toJSONSchema(schema, {
      io: 'input',
      unrepresentable: 'any',
      target: 'draft-7',
      // zod marks startsWith() with a format of its own besides the pattern; no validator knows it.
      override: (ctx) => {
        if (ctx.jsonSchema.format === 'starts_with') delete ctx.jsonSchema.format;
      },
    }) as Record<string, unknown>;
    delete js.$schema;
    const what = foreign ? `A Kubernetes ${k} (apiVersion ${foreign.apiVersion}), stored as a ${foreign.kind}.` : `${/^[AEIOU]/.test(k) ? 'An' : 'A'} ${k} object (apiVersion ${API_VERSION}).`;
    defs[k] = { title: `berth ${k}`, description: what, ...js };
  }
  const base = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: `https://berth.dev/schemas/${API_VERSION.replace('/', '-')}${kind ? `-${kind.toLowerCase()}` : ''}.json`,
  };
  if (kind) return { ...base, ...(defs[kind] as object) };
  return {
    ...base,
    title: 'berth manifest',
    description: `Any berth object (apiVersion ${API_VERSION}); the kind field selects which.`,
    definitions: defs,
    anyOf: kinds.map((k) => ({ $ref: `#/definitions/${k}` })),
  };
}
