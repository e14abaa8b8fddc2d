// container prune, system df, system info, system prune — with Docker's confirmation question
// (answered y on stdin, or skipped with -f) and Docker's output.
import { createInterface } from 'node:readline/promises';
import type { ContainerSummary } from '../../specs/api/containers.ts';
import type { ImageSummary } from '../../specs/api/images.ts';
import type { ApiClient } from '../client.ts';
import { UnavailableError } from '../../specs/errdefs.ts';
import { humanSize } from '../output.ts';
import { tabwrite } from '../../specs/gotemplate/format.ts';

async function confirmed(warning: string, force?: boolean): Promise<boolean> {
  if (force) return true;
  process.stdout.write(`WARNING! ${warning}\nAre you sure you want to continue? [y/N] `);
  const rl = createInterface({ input: process.stdin });
  const answer = await new Promise<string>((resolve) => {
    rl.once('line', resolve);
    rl.once('close', () => resolve(''));
  });
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}

/** What a daemon without a container engine cannot list: none of it (other errors stay errors). */
const noneWithoutEngine = <T>(empty: T) => (err: unknown): T => {
  if (err instanceof UnavailableError) return empty;
  throw err;
};

const stopped = (s: ContainerSummary) => s.managed && s.state !== 'running' && s.state !== 'paused' && s.state !== 'restarting';

async function removeStopped(client: ApiClient): Promise<string[]> {
  const { items } = await client.json<{ items: ContainerSummary[] }>('GET', '/v1/containers', { query: { all: true } });
  const gone: string[] = [];
  for (const s of items.filter(stopped)) {
    await client.json('DELETE', `/v1/containers/${encodeURIComponent(s.name)}`);
    gone.push(s.id ?? s.name);
  }
  return gone;
}

export async function containerPrune(client: ApiClient, o: { force?: boolean }): Promise<number> {
  if (!(await confirmed('This will remove all stopped containers.', o.force))) return 0;
  const gone = await removeStopped(client);
  process.stdout.write(`${gone.length ? `Deleted Containers:\n${gone.join('\n')}\n\n` : ''}Total reclaimed space: 0B\n`);
  return 0;
}

export async function systemPrune(client: ApiClient, o: { all?: boolean; force?: boolean }): Promise<number> {
  const what = `This will remove:\n  - all stopped containers\n  - ${o.all ? 'all images without at least one container associated to them' : 'all dangling images'}`;
  if (!(await confirmed(what, o.force))) return 0;
  const gone = await removeStopped(client);
  const r = await client.json<{ bytes: number; untagged: string[] }>('POST', '/v1/images/prune', { query: { all: !!o.all } });
  if (gone.length) process.stdout.write(`Deleted Containers:\n${gone.join('\n')}\n\n`);
  if (r.untagged.length) process.stdout.write(`Deleted Images:\n${r.untagged.map((u) => (u.startsWith('sha256:') ? `deleted: ${u}` : `untagged: ${u}`)).join('\n')}\n\n`);
  process.stdout.write(`Total reclaimed space: ${humanSize(r.bytes)}\n`);
  return 0;
}

/** `system df`: Docker's table; image sizes count a layer shared by several images once. */
export async function df(client: ApiClient): Promise<number> {
  const [{ items: images, totalSize }, { items: containers }] = await Promise.all([
    client.json<{ items: ImageSummary[]; totalSize: number }>('GET', '/v1/images').catch(noneWithoutEngine({ items: [] as ImageSummary[], totalSize: 0 })),
    client.json<{ items: ContainerSummary[] }>('GET', '/v1/containers', { query: { all: true } }),
  ]);
  const byId = new Map(images.map((i) => [i.id, i]));
  const usedRefs = new Set(containers.map((c) => c.image));
  const active = new Set(images.filter((i) => usedRefs.has(i.ref) || usedRefs.has(`${i.repository}:${i.tag}`)).map((i) => i.id));
  const used = new Set([...active].flatMap((id) => byId.get(id)!.layers));
  const layerSize = new Map<string, number>();
  for (const i of images) for (const l of i.layers) layerSize.set(l, layerSize.get(l) ?? i.size / Math.max(1, i.layers.length));
  const reclaimable = [...layerSize].filter(([l]) => !used.has(l)).reduce((n, [, s]) => n + s, 0);
  const pct = (n: number, of: number) => (of ? ` (${Math.round((n / of) * 100)}%)` : '');
  const running = containers.filter((c) => c.state === 'running' || c.state === 'paused').length;
  process.stdout.write(
    tabwrite(
      [
        'TYPE\tTOTAL\tACTIVE\tSIZE\tRECLAIMABLE',
        `Images\t${byId.size}\t${active.size}\t${humanSize(totalSize)}\t${humanSize(reclaimable)}${pct(reclaimable, totalSize)}`,
        `Containers\t${containers.length}\t${running}\t0B\t0B`,
        'Local Volumes\t0\t0\t0B\t0B',
        'Build Cache\t0\t0\t0B\t0B',
      ].join('\n') + '\n',
    ),
  );
  return 0;
}

export async function info(client: ApiClient): Promise<number> {
  const [v, { items: containers }, { items: images }] = await Promise.all([
    client.json<{ version: string; apiVersion: string; node: string; root: string; pid: number }>('GET', '/v1/version'),
    client.json<{ items: ContainerSummary[] }>('GET', '/v1/containers', { query: { all: true } }).catch(noneWithoutEngine({ items: [] as ContainerSummary[] })),
    client.json<{ items: ImageSummary[] }>('GET', '/v1/images').catch(noneWithoutEngine({ items: [] as ImageSummary[] })),
  ]);
  const count = (state: string) => containers.filter((c) => c.state === state).length;
  process.stdout.write(
    [
      'Server:',
      ` Containers: ${containers.length}`,
      `  Running: ${count('running')}`,
      `  Paused: ${count('paused')}`,
      `  Stopped: ${containers.length - count('running') - count('paused')}`,
      ` Images: ${new Set(images.map((i) => i.id)).size}`,
      ` Server Version: ${v.version}`,
      ` API Version: ${v.apiVersion}`,
      ' Storage Driver: overlay2',
      ` Docker Root Dir: ${v.root}`,
      ` Node.js: ${v.node}`,
      ` Daemon PID: ${v.pid}`,
      '',
    ].join('\n'),
  );
  return 0;
}
