// The network verbs: thin — turn arguments into an API call, print.
import { formatPort } from '../../specs/ports.ts';
import { InvalidArgumentError, NotFoundError } from '../../specs/errdefs.ts';
import type { ApiClient } from '../client.ts';
import { age, formatJson, formatTable, parseFormat } from '../output.ts';
import type { NetworkConnectRequest, NetworkDetails, NetworkDisconnectRequest, NetworkInfo } from '../../specs/api/networks.ts';

export function parseLabels(labels: string[] = []): Record<string, string> | undefined {
  if (!labels.length) return undefined;
  const out: Record<string, string> = {};
  for (const kv of labels) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new InvalidArgumentError(`--label "${kv}" must be KEY=VALUE`);
    out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

export async function create(client: ApiClient, name: string, opts: { subnet?: string; label?: string[] }): Promise<number> {
  const labels = parseLabels(opts.label);
  const n = await client.json<NetworkInfo>('POST', '/v1/networks', { body: { name, ...(opts.subnet ? { subnet: opts.subnet } : {}), ...(labels ? { labels } : {}) } });
  process.stdout.write(`${n.name}\n`);
  return 0;
}

export async function ls(client: ApiClient, opts: { quiet?: boolean; output?: string }): Promise<number> {
  const format = parseFormat(opts.output, ['table', 'json']);
  const { items } = await client.json<{ items: NetworkInfo[] }>('GET', '/v1/networks');
  if (opts.quiet) process.stdout.write(items.map((n) => `${n.name}\n`).join(''));
  else if (format === 'json') process.stdout.write(formatJson(items));
  else process.stdout.write(formatTable(['NAME', 'DRIVER', 'SUBNET', 'GATEWAY', 'BRIDGE', 'AGE'], items.map((n) => [n.name, 'bridge', n.subnet, n.gateway, n.bridge, age(n.createdAt)])));
  return 0;
}

export async function inspect(client: ApiClient, names: string[]): Promise<number> {
  const out: NetworkDetails[] = [];
  let failed = 0;
  for (const name of names) {
    try {
      out.push(await client.json<NetworkDetails>('GET', `/v1/networks/${encodeURIComponent(name)}`));
    } catch (err) {
      failed++;
      process.stderr.write(`error: ${(err as Error).message}\n`);
    }
  }
  process.stdout.write(formatJson(out));
  return failed ? 1 : 0;
}

export async function rm(client: ApiClient, names: string[]): Promise<number> {
  let failed = 0;
  for (const name of names) {
    try {
      await client.send('DELETE', `/v1/networks/${encodeURIComponent(name)}`).then((res) => res.resume());
      process.stdout.write(`${name}\n`);
    } catch (err) {
      failed++;
      process.stderr.write(`error: ${(err as Error).message}\n`);
    }
  }
  return failed ? 1 : 0;
}

/** `network connect [--alias A] NETWORK CONTAINER`: prints nothing, as Docker. */
export async function connect(client: ApiClient, network: string, container: string, opts: { alias?: string[] }): Promise<number> {
  const body: NetworkConnectRequest = { container, ...(opts.alias?.length ? { aliases: opts.alias } : {}) };
  await client.send('POST', `/v1/networks/${encodeURIComponent(network)}/connect`, { body }).then((res) => res.resume());
  return 0;
}

/** `network disconnect [-f] NETWORK CONTAINER`: prints nothing, as Docker. */
export async function disconnect(client: ApiClient, network: string, container: string, opts: { force?: boolean }): Promise<number> {
  const body: NetworkDisconnectRequest = { container, ...(opts.force ? { force: true } : {}) };
  await client.send('POST', `/v1/networks/${encodeURIComponent(network)}/disconnect`, { body }).then((res) => res.resume());
  return 0;
}

interface SpecPort {
  containerPort: number;
  hostPort?: number;
  hostIP?: string;
  protocol: string;
}

/** `docker port`: `80/tcp -> 0.0.0.0:8080` per published port; with PORT, only its host address. */
export async function port(client: ApiClient, name: string, which: string | undefined): Promise<number> {
  const c = await client.json<{ spec: { ports?: SpecPort[] }; status: { ports?: SpecPort[] } }>('GET', `/v1/containers/${encodeURIComponent(name)}`);
  // As published (a free host port picked for `-p 80`), else as the spec asks.
  const published = (c.status.ports ?? c.spec.ports ?? []).filter((p) => p.hostPort);
  if (which === undefined) {
    process.stdout.write(published.map((p) => `${p.containerPort}/${p.protocol.toLowerCase()} -> ${formatPort({ ...p, protocol: p.protocol as 'TCP' | 'UDP' }).split('->')[0]}\n`).join(''));
    return 0;
  }
  const m = /^(\d{1,5})(?:\/(tcp|udp))?$/i.exec(which);
  if (!m) throw new InvalidArgumentError(`port "${which}" must be a container port, as 80 or 80/udp`);
  const proto = (m[2] ?? 'tcp').toUpperCase();
  const hits = published.filter((p) => p.containerPort === Number(m[1]) && p.protocol === proto);
  if (!hits.length) throw new NotFoundError(`container "${name}" publishes no port ${m[1]}/${proto.toLowerCase()}`);
  process.stdout.write(hits.map((p) => `${formatPort({ ...p, protocol: p.protocol as 'TCP' | 'UDP' }).split('->')[0]}\n`).join(''));
  return 0;
}
