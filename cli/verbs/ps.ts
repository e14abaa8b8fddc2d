// `ps` as Docker prints it: its columns (CONTAINER ID, IMAGE, COMMAND, CREATED, STATUS, PORTS,
// NAMES), its status words ("Up 5 seconds", "Exited (0) 3 minutes ago"), -q ids, -a/-n/-l,
// -f status=|name=|label=|ancestor=|id=|exited=, --no-trunc and --format (a Go template, table, json).
import { InvalidArgumentError } from '../../specs/errdefs.ts';
import { unescapeVars } from '../../specs/docker/command.ts';
import { renderFormat } from '../../specs/gotemplate/format.ts';
import type { ContainerSummary } from '../../specs/api/containers.ts';
import type { ApiClient } from '../client.ts';
import { humanDuration, humanSize } from '../output.ts';
import { containerFilter, statusText } from '../../specs/docker/ps.ts';

export { statusText };

export interface PsOptions {
  all?: boolean;
  quiet?: boolean;
  filter?: string[];
  last?: string;
  latest?: boolean;
  noTrunc?: boolean;
  format?: string;
  output?: string;
  size?: boolean;
}

const HEADERS = {
  ID: 'CONTAINER ID', Image: 'IMAGE', Command: 'COMMAND', CreatedAt: 'CREATED AT', RunningFor: 'CREATED', Ports: 'PORTS',
  State: 'STATE', Status: 'STATUS', Size: 'SIZE', Names: 'NAMES', Labels: 'LABELS', Mounts: 'MOUNTS', Networks: 'NETWORKS', Label: 'LABEL',
};
const TABLE = 'table {{.ID}}\\t{{.Image}}\\t{{.Command}}\\t{{.RunningFor}}\\t{{.Status}}\\t{{.Ports}}\\t{{.Names}}';

/** Docker's formatter.Ellipsis: at most `n` characters, the last one "…" when cut. */
const ellipsis = (s: string, n: number) => ([...s].length > n ? `${[...s].slice(0, n - 1).join('')}…` : s);

/** Docker's ContainerContext.Size: "2B (virtual 4.26MB)", or the writable layer's alone with no image size. */
function size(s: ContainerSummary): string {
  const rw = humanSize(s.sizeRw ?? 0);
  return s.sizeRootFs ? `${rw} (virtual ${humanSize(s.sizeRootFs)})` : rw;
}

/** One row as Docker's ContainerContext offers it to templates. */
function row(s: ContainerSummary, trunc: boolean): Record<string, unknown> {
  const command = unescapeVars(s.command).join(' ');
  const labels = s.labels ?? {};
  return {
    ID: trunc ? (s.id ?? '').slice(0, 12) : (s.id ?? ''),
    Image: s.image,
    Command: JSON.stringify(trunc ? ellipsis(command, 20) : command),
    CreatedAt: new Date(s.created).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' +0000 UTC'),
    RunningFor: `${humanDuration(Date.now() - Date.parse(s.created))} ago`,
    Ports: s.ports.join(', '),
    State: s.state ?? s.phase.toLowerCase(),
    Status: statusText(s),
    Size: size(s),
    Names: s.name || (s.id ?? '').slice(0, 12),
    Labels: Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(','),
    Mounts: '',
    Networks: '',
    Label: (k: unknown) => labels[String(k)] ?? '',
  };
}

/** Docker's ps filters, each key's values OR-ed, keys AND-ed. */
function filters(list: string[] = []): (s: ContainerSummary) => boolean {
  const by = new Map<string, string[]>();
  for (const f of list) {
    const i = f.indexOf('=');
    if (i <= 0) throw new InvalidArgumentError(`--filter "${f}" is not KEY=VALUE (e.g. status=running, name=web, label=tier=front, ancestor=busybox)`);
    by.set(f.slice(0, i), [...(by.get(f.slice(0, i)) ?? []), f.slice(i + 1)]);
  }
  return containerFilter(by, (k, known) => `--filter "${k}" is not a filter ps knows; use ${known.join(', ')}`);
}

export async function ps(client: ApiClient, o: PsOptions): Promise<number> {
  const keep = filters(o.filter);
  const last = o.latest ? 1 : o.last !== undefined ? Number(o.last) : undefined;
  if (last !== undefined && !(Number.isInteger(last) && last >= 0)) throw new InvalidArgumentError(`--last "${o.last}" must be a whole number`);
  const all = o.all || last !== undefined || (o.filter ?? []).some((f) => /^(status|exited)=/.test(f));
  // As Docker's: sizes are asked for with -s, or when the template uses .Size.
  const sizes = !!o.size || /\.Size\b/.test(o.format ?? '');
  let { items } = await client.json<{ items: ContainerSummary[] }>('GET', '/v1/containers', { query: { all, ...(sizes ? { size: true } : {}) } });
  items = items.filter(keep).sort((a, b) => b.created.localeCompare(a.created));
  if (last !== undefined && last > 0) items = items.slice(0, last);
  if (o.output === 'json') return void process.stdout.write(JSON.stringify(items, null, 2) + '\n'), 0;
  if (o.quiet) {
    // Ids, as Docker's (a container not created yet has none: its name, so `rm $(berth ps -aq)` still reaches it).
    for (const s of items) process.stdout.write(`${o.noTrunc ? (s.id ?? s.name) : (s.id?.slice(0, 12) ?? s.name)}\n`);
    return 0;
  }
  process.stdout.write(renderFormat(o.format, items.map((s) => row(s, !o.noTrunc)), { headers: HEADERS, defaultTable: o.size ? `${TABLE}\\t{{.Size}}` : TABLE }));
  return 0;
}
