// What every kind shares: the API version, object names, labels and metadata, and the quantity
// fields; schema.ts (Image, Container) and volume.ts (Volume) build on these.
import { z } from 'zod';
import { parseCpu, parseMemory, parseStorage, QUANTITY } from './quantity.ts';
import { VOLUME_NAME, VOLUME_NAME_MAX } from './volume-name.ts';

export const API_VERSION = 'berth.dev/v1';

/** DNS-1123 label: container names become hostnames and DNS names on networks. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export const name = z
  .string()
  .max(63, 'must be at most 63 characters')
  .regex(DNS_LABEL, 'must be lowercase letters, digits and "-", starting and ending with a letter or digit');

/**
 * Docker's volume names ([a-zA-Z0-9][a-zA-Z0-9_.-]+): a Volume's metadata.name and a claimName.
 * A name is a directory under <root>/volumes, so "." and ".." are not names and "/" never appears.
 */
export const volumeName = z
  .string()
  .max(VOLUME_NAME_MAX, `must be at most ${VOLUME_NAME_MAX} characters`)
  .regex(VOLUME_NAME, 'must be at least 2 characters: letters, digits, "_", "." or "-", starting with a letter or digit');

export const labelMap = z.record(z.string(), z.string());

export const ObjectMeta = z.strictObject({
  name,
  labels: labelMap.optional(),
  annotations: labelMap.optional(),
});

/**
 * What JSON Schema can say of a check written as a refinement (which it cannot carry): `.meta()`
 * adds these keywords to the generated schema, so editors flag what the loader would.
 */
const quantityJson = { pattern: `^\\s*${QUANTITY.source.slice(1, -1)}\\s*$`, minimum: 0 };

/** A Kubernetes quantity, checked by `parse` (which throws saying why it is not one). */
const quantity = (parse: (v: string | number) => number) =>
  z
    .union([z.string(), z.number()])
    .superRefine((v, ctx) => {
      try {
        parse(v);
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: (e as Error).message });
      }
    })
    .meta(quantityJson);

export const memoryQuantity = quantity(parseMemory);
export const storageQuantity = quantity(parseStorage);
export const cpuQuantity = quantity(parseCpu);
