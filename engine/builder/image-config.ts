// The image configuration a build produces (the image store's ImageConfig — OCI's, with Docker's
// Healthcheck, Shell, OnBuild — with config.config always present), and the history formats.
import { hostPlatform, type HealthConfig as StoreHealthConfig, type ImageConfig as StoreImageConfig } from '../images/types.ts';
import { byCodeUnit } from '../../specs/order.ts';
/** Docker's healthcheck (durations in nanoseconds; 0 or absent: the default), with StartInterval. */
export interface HealthConfig extends StoreHealthConfig {
  /** ["NONE"], ["CMD", args...] or ["CMD-SHELL", command]. */
  Test: string[];
  StartInterval?: number;
}

/** The run configuration (config.config) as a build writes it: the store's fields, always present. */
export type ContainerConfig = Omit<NonNullable<StoreImageConfig['config']>, 'Healthcheck'> & {
  Healthcheck?: HealthConfig;
  ArgsEscaped?: boolean;
};

export type History = NonNullable<StoreImageConfig['history']>[number];

export interface ImageConfig extends Omit<StoreImageConfig, 'config'> {
  config: ContainerConfig;
}

export const DEFAULT_SHELL = ['/bin/sh', '-c'];
export function scratchImage(): ImageConfig {
  const p = hostPlatform();
  return { architecture: p.architecture, os: p.os, ...(p.variant ? { variant: p.variant } : {}), config: {}, rootfs: { type: 'layers', diff_ids: [] }, history: [] };
}

/** A Go %q of a string list, as Docker prints []string in history: ["/bin/sh" "-c" "x"]. */
export function goQuoteList(list: string[]): string {
  return `[${list.map((s) => JSON.stringify(s)).join(' ')}]`;
}

/** History of an instruction that changes only the config: the classic builder's "#(nop)" form. */
export function nopCreatedBy(shell: string[], text: string): string {
  return `${[...shell].join(' ')} #(nop)  ${text}`;
}

/** Sets NAME=value, replacing it in place if present (Docker keeps the order of first definition). */
export function envSet(env: string[], name: string, value: string): string[] {
  const out = [...env];
  const i = out.findIndex((e) => e === name || e.startsWith(`${name}=`));
  if (i >= 0) out[i] = `${name}=${value}`;
  else out.push(`${name}=${value}`);
  return out;
}

/**
 * A build's `--label`s on the image it makes: as Docker's classic builder, a LABEL step after the
 * target stage's last (in the history, empty, dated as the step before), over the Dockerfile's labels.
 */
export function withBuildLabels(image: ImageConfig, labels: Record<string, string>, shell: string[], created: string | undefined): ImageConfig {
  const entries = Object.entries(labels).sort(([a], [b]) => byCodeUnit(a, b));
  if (!entries.length) return image;
  const text = `LABEL ${entries.map(([k, v]) => `${JSON.stringify(k)}='${v}'`).join(' ')}`;
  return {
    ...image,
    config: { ...image.config, Labels: { ...(image.config.Labels ?? {}), ...labels } },
    history: [...(image.history ?? []), { ...(created ? { created } : {}), created_by: nopCreatedBy(shell, text), empty_layer: true }],
  };
}
