// ConfigMap and Secret: named data that Pods read as environment variables (env.valueFrom, envFrom)
// and as files (volumes). berth stores them as its own kinds, data under spec; a Kubernetes
// `v1 ConfigMap` / `v1 Secret` (data at the top, a Secret's base64-encoded, stringData plain) is
// accepted as it is written for a cluster and converted. A change of the data recreates the
// containers that use it (their specs carry the resolved values).
import { z } from 'zod';
import { API_VERSION, labelMap, name, ObjectMeta } from './meta.ts';
import { KubeMeta, namespacedMeta } from './kube/pod.ts';

const DATA_KEY = /^[-._a-zA-Z0-9]+$/;
const dataMap = z.record(z.string().regex(DATA_KEY, 'keys are letters, digits, "-", "_" and "."'), z.string());
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const base64Map = z.record(z.string().regex(DATA_KEY, 'keys are letters, digits, "-", "_" and "."'), z.string().regex(BASE64, 'must be base64 (write plain text under stringData)'));

export const ConfigMapSpec = z.strictObject({ data: dataMap.default({}), binaryData: base64Map.optional(), immutable: z.boolean().optional() });
export const SecretSpec = z.strictObject({ type: z.string().default('Opaque'), data: base64Map.default({}), immutable: z.boolean().optional() });

export const ConfigMapObject = z.strictObject({ apiVersion: z.literal(API_VERSION), kind: z.literal('ConfigMap'), metadata: ObjectMeta, spec: ConfigMapSpec.default({ data: {} }) });
export const SecretObject = z.strictObject({ apiVersion: z.literal(API_VERSION), kind: z.literal('Secret'), metadata: ObjectMeta, spec: SecretSpec.default({ type: 'Opaque', data: {} }) });

export const KubeConfigMapObject = z.strictObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('ConfigMap'),
  metadata: KubeMeta,
  data: dataMap.optional(),
  binaryData: base64Map.optional(),
  immutable: z.boolean().optional(),
});
export const KubeSecretObject = z.strictObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('Secret'),
  metadata: KubeMeta,
  type: z.string().optional(),
  data: base64Map.optional(),
  stringData: dataMap.optional(),
  immutable: z.boolean().optional(),
});

export type ConfigMapManifest = z.output<typeof ConfigMapObject>;
export type SecretManifest = z.output<typeof SecretObject>;

export function kubeConfigMapToConfigMap(c: z.output<typeof KubeConfigMapObject>): ConfigMapManifest {
  return { apiVersion: API_VERSION, kind: 'ConfigMap', metadata: namespacedMeta(c.metadata), spec: { data: c.data ?? {}, ...(c.binaryData ? { binaryData: c.binaryData } : {}), ...(c.immutable !== undefined ? { immutable: c.immutable } : {}) } };
}

export function kubeSecretToSecret(s: z.output<typeof KubeSecretObject>): SecretManifest {
  // stringData wins over data for the same key, as on a cluster.
  const data = { ...(s.data ?? {}), ...Object.fromEntries(Object.entries(s.stringData ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])) };
  return { apiVersion: API_VERSION, kind: 'Secret', metadata: namespacedMeta(s.metadata), spec: { type: s.type ?? 'Opaque', data, ...(s.immutable !== undefined ? { immutable: s.immutable } : {}) } };
}

/** A ConfigMap's values as a Pod reads them (binaryData decoded to text). */
export function configMapValues(spec: z.output<typeof ConfigMapSpec>): Record<string, string> {
  return { ...spec.data, ...Object.fromEntries(Object.entries(spec.binaryData ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()])) };
}

/** A Secret's values, decoded. */
export function secretValues(spec: z.output<typeof SecretSpec>): Record<string, string> {
  return Object.fromEntries(Object.entries(spec.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
}

export { labelMap, name };
