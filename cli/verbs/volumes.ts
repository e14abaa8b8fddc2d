// The volume verbs: thin — turn arguments into an API call, print as Docker does.
import { createInterface } from 'node:readline/promises';
import { InvalidArgumentError } from '../../specs/errdefs.ts';
import type { DockerVolume, VolumePruneResult, VolumeSummary } from '../../specs/api/volumes.ts';
import type { ApiClient } from '../client.ts';
import { formatJson, formatTable, humanSize } from '../output.ts';
import { parseLabels } from './network.ts';
import { dockerVolume } from '../../specs/docker/volume.ts';

export { dockerVolume };

/** `--opt k=v` (Docker's -o): the driver options. */
export function parseOpts(opts: string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of opts) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new InvalidArgumentError(`--opt "${kv}" must be KEY=VALUE (type, device, o)`);
    out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

export async function create(client: ApiClient, name: string | undefined, o: { driver?: string; opt?: string[]; label?: string[] }): Promise<number> {
  const labels = parseLabels(o.label);
  const driverOpts = parseOpts(o.opt);
  const v = await client.json<VolumeSummary>('POST', '/v1/volumes', {
    body: { ...(name ? { name } : {}), ...(o.driver ? { driver: o.driver } : {}), ...(Object.keys(driverOpts).length ? { driverOpts } : {}), ...(labels ? { labels } : {}) },
  });
  process.stdout.write(`${v.name}\n`);
  return 0;
}

export async function ls(client: ApiClient, o: { quiet?: boolean; filter?: string[] }): Promise<number> {
  const { items } = await client.json<{ items: VolumeSummary[] }>('GET', '/v1/volumes', { query: { filter: o.filter ?? [] } });
  if (o.quiet) process.stdout.write(items.map((v) => `${v.name}\n`).join(''));
  else process.stdout.write(formatTable(['DRIVER', 'VOLUME NAME'], items.map((v) => [v.driver, v.name])));
  return 0;
}

export async function inspect(client: ApiClient, names: string[]): Promise<number> {
  const out: DockerVolume[] = [];
  let failed = 0;
  for (const name of names) {
    try {
      out.push(dockerVolume(await client.json<VolumeSummary>('GET', `/v1/volumes/${encodeURIComponent(name)}`)));
    } catch (err) {
      failed++;
      process.stderr.write(`error: ${(err as Error).message}\n`);
    }
  }
  process.stdout.write(formatJson(out));
  return failed ? 1 : 0;
}

export async function rm(client: ApiClient, names: string[], o: { force?: boolean }): Promise<number> {
  let failed = 0;
  for (const name of names) {
    try {
      const r = await client.json<{ removed: boolean }>('DELETE', `/v1/volumes/${encodeURIComponent(name)}`, { query: { force: !!o.force } });
      if (r.removed) process.stdout.write(`${name}\n`);
    } catch (err) {
      failed++;
      process.stderr.write(`error: ${(err as Error).message}\n`);
    }
  }
  return failed ? 1 : 0;
}

export async function prune(client: ApiClient, o: { all?: boolean; force?: boolean; filter?: string[] }): Promise<number> {
  const label: string[] = [];
  for (const f of o.filter ?? []) {
    if (!f.startsWith('label=')) throw new InvalidArgumentError(`invalid filter "${f}" for prune (use label=KEY or label=KEY=VALUE)`);
    label.push(f.slice('label='.length));
  }
  if (!o.force) {
    const what = o.all ? 'all local volumes not used by at least one container' : 'anonymous local volumes not used by at least one container';
    process.stdout.write(`WARNING! This will remove ${what}.\nAre you sure you want to continue? [y/N] `);
    const rl = createInterface({ input: process.stdin });
    const answer = await rl.question('').finally(() => rl.close());
    if (!/^y(es)?$/i.test(answer.trim())) return 0;
  }
  const r = await client.json<VolumePruneResult>('POST', '/v1/volumes/prune', { body: { all: !!o.all, ...(label.length ? { label } : {}) } });
  if (r.deleted.length) process.stdout.write(`Deleted Volumes:\n${r.deleted.map((n) => `${n}\n`).join('')}\n`);
  process.stdout.write(`Total reclaimed space: ${humanSize(r.reclaimedBytes)}\n`);
  return 0;
}
