// `update` on disk: the bundle's config.json gets the container's new limits, so that its next
// start (a restart, the restart policy, a daemon restart's adoption) keeps them. The live cgroup is
// the runtime's (Runtime.update); this is the copy a start reads.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerSpec } from '../specs/schema.ts';
import { explicitLimits, ociLimits, type OciConfig, type OciLimits } from './bundle.ts';
import { containerResources } from './container-config.ts';
import { writeFileAtomic } from './fs-atomic.ts';

/** Every limit of the spec, unset ones as "none" (an update may lift one). */
export function updatedLimits(spec: ContainerSpec): OciLimits {
  return explicitLimits(ociLimits(containerResources(spec)));
}

/** The limits the bundle holds now, every one written (what an update that failed halfway goes back to). */
export async function bundleLimits(bundleDir: string): Promise<OciLimits> {
  const config = JSON.parse(await readFile(join(bundleDir, 'config.json'), 'utf8')) as OciConfig;
  return explicitLimits(config.linux.resources);
}

/** Replaces the limits in the bundle's config.json (its device rules stay). */
export async function rewriteBundleLimits(bundleDir: string, limits: OciLimits): Promise<void> {
  const file = join(bundleDir, 'config.json');
  const config = JSON.parse(await readFile(file, 'utf8')) as OciConfig;
  config.linux.resources = { devices: config.linux.resources.devices, ...limits };
  await writeFileAtomic(file, JSON.stringify(config, null, 2));
}
