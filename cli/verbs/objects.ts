// Verbs that read objects and events: get, describe, events. Thin: call the API, print.
import type { Resource } from '../../specs/objects.ts';
import { kindAndName, resolveKind } from '../../specs/kinds.ts';
import { InvalidArgumentError } from '../../specs/errdefs.ts';
import { namespacedName, NAMESPACE_LABEL } from '../../specs/kube/pod.ts';
import { dockerTime } from './containers.ts';
import type { ApiClient } from '../client.ts';
import { age, formatTable, formatYaml, parseFormat, printData, type OutputFormat } from '../output.ts';
import type { BerthEvent } from '../../specs/api/events.ts';

type Row = Array<string | number | undefined>;

interface Columns {
  headers: string[];
  row(r: Resource): Row;
}

const dash = (v: unknown) => (v === undefined || v === null || v === '' ? '-' : String(v));

/** Table columns per kind; `wide` adds the source. A kind without an entry gets the generic columns. */
function columnsFor(kind: string, wide: boolean): Columns {
  const tail = (r: Resource): Row => [r.metadata.generation, dash(r.status?.observedGeneration), age(r.metadata.creationTimestamp), ...(wide ? [r.metadata.source] : [])];
  const tailHeaders = ['GENERATION', 'OBSERVED', 'AGE', ...(wide ? ['SOURCE'] : [])];
  if (kind === 'Image') {
    return {
      headers: ['NAME', 'REF', 'FROM', 'PHASE', ...tailHeaders],
      row: (r) => {
        const s = r.spec as { ref: string; pull?: { policy: string }; build?: { context: string } };
        return [r.metadata.name, s.ref, s.build ? 'build' : `pull (${s.pull?.policy})`, dash(r.status?.phase), ...tail(r)];
      },
    };
  }
  if (kind === 'Container') {
    return {
      headers: ['NAME', 'IMAGE', 'RESTART', 'PHASE', ...tailHeaders],
      row: (r) => {
        const s = r.spec as { image: string; restartPolicy: string };
        return [r.metadata.name, s.image, s.restartPolicy, dash(r.status?.phase), ...tail(r)];
      },
    };
  }
  if (kind === 'Volume') {
    return {
      headers: ['NAME', 'DRIVER', 'PHASE', 'USED BY', ...tailHeaders],
      row: (r) => {
        const s = r.spec as { driver: string; driverOpts?: { type?: string } };
        const used = (r.status as { usedBy?: string[] } | undefined)?.usedBy ?? [];
        return [r.metadata.name, s.driverOpts?.type ? `${s.driver} (${s.driverOpts.type})` : s.driver, dash(r.status?.phase), used.join(',') || '-', ...tail(r)];
      },
    };
  }
  if (kind === 'Service') {
    // kubectl's PORT(S): port[:nodePort]/protocol.
    return {
      headers: ['NAME', 'TYPE', 'PORT(S)', 'ENDPOINTS', ...tailHeaders],
      row: (r) => {
        const spec = r.spec as { type: string; ports: Array<{ port: number; protocol: string }> };
        const st = r.status as { ports?: Array<{ port: number; nodePort?: number }>; endpoints?: string[] } | undefined;
        const ports = spec.ports.map((p) => `${p.port}${st?.ports?.find((q) => q.port === p.port)?.nodePort ? `:${st.ports.find((q) => q.port === p.port)!.nodePort}` : ''}/${p.protocol}`);
        return [r.metadata.name, spec.type, ports.join(',') || '-', st?.endpoints?.join(',') || '-', ...tail(r)];
      },
    };
  }
  if (kind === 'Deployment') {
    return {
      headers: ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', ...tailHeaders],
      row: (r) => {
        const st = r.status as { readyReplicas?: number; updatedReplicas?: number; availableReplicas?: number } | undefined;
        return [r.metadata.name, `${st?.readyReplicas ?? 0}/${(r.spec as { replicas: number }).replicas}`, st?.updatedReplicas ?? 0, st?.availableReplicas ?? 0, ...tail(r)];
      },
    };
  }
  if (kind === 'Pod') {
    // kubectl's columns: READY as ready/total, STATUS its reason (Init:0/1, Running, CrashLoopBackOff…).
    return {
      headers: ['NAME', 'READY', 'STATUS', 'RESTARTS', 'IP', ...tailHeaders],
      row: (r) => {
        const st = r.status as { reason?: string; podIP?: string; containerStatuses?: Array<{ ready: boolean; restartCount: number }> } | undefined;
        const cs = st?.containerStatuses ?? [];
        const total = (r.spec as { containers: unknown[] }).containers.length;
        return [r.metadata.name, `${cs.filter((c) => c.ready).length}/${total}`, dash(st?.reason), cs.reduce((n, c) => n + c.restartCount, 0), dash(st?.podIP), ...tail(r)];
      },
    };
  }
  return { headers: ['NAME', 'PHASE', ...tailHeaders], row: (r) => [r.metadata.name, dash(r.status?.phase), ...tail(r)] };
}

function printResources(items: Resource[], format: OutputFormat, allKinds: boolean): string {
  if (format === 'name') return items.map((r) => `${r.kind.toLowerCase()}/${r.metadata.name}\n`).join('');
  const byKind = new Map<string, Resource[]>();
  for (const r of items) byKind.set(r.kind, [...(byKind.get(r.kind) ?? []), r]);
  return [...byKind]
    .map(([kind, rs]) => {
      const cols = columnsFor(kind, format === 'wide');
      // With several kinds, names are written kind/name as kubectl does for `get all`.
      return formatTable(cols.headers, rs.map((r) => { const row = cols.row(r); if (allKinds) row[0] = `${kind.toLowerCase()}/${row[0]}`; return row; }));
    })
    .join('\n');
}

/**
 * kubectl's namespaces: another namespace than `default` is a prefix of the stored names and the
 * label berth.dev/namespace; without -n only the default namespace's objects are listed, -A lists all.
 */
function namespaceScope(opts: { selector?: string; namespace?: string; allNamespaces?: boolean }): { selector?: string; prefix: (n: string) => string } {
  if (opts.allNamespaces && opts.namespace) throw new InvalidArgumentError('give either -n NAMESPACE or --all-namespaces, not both');
  if (opts.allNamespaces) return { ...(opts.selector ? { selector: opts.selector } : {}), prefix: (n) => n };
  const ns = opts.namespace && opts.namespace !== 'default' ? opts.namespace : undefined;
  const term = ns ? `${NAMESPACE_LABEL}=${ns}` : `!${NAMESPACE_LABEL}`;
  return { selector: opts.selector ? `${opts.selector},${term}` : term, prefix: (n) => namespacedName(ns, n) };
}

export async function get(client: ApiClient, kindWord: string | undefined, name: string | undefined, opts: { output?: string; selector?: string; watch?: boolean; namespace?: string; allNamespaces?: boolean }): Promise<number> {
  const format = parseFormat(opts.output);
  const named = kindWord ? kindAndName(kindWord, name) : undefined;
  const kind = named?.kind;
  const scope = namespaceScope(opts);
  opts = { ...opts, ...(scope.selector ? { selector: scope.selector } : {}) };
  name = named?.name !== undefined ? scope.prefix(named.name) : undefined;
  if (kind && name) {
    const r = await client.json<Resource>('GET', `/v1/objects/${kind}/${encodeURIComponent(name)}`);
    if (format === 'json' || format === 'yaml') await printData(format, r);
    else process.stdout.write(printResources([r], format, false));
    return 0;
  }
  if (opts.watch) return watch(client, kind, opts.selector, format);
  const { items } = await client.json<{ items: Resource[] }>('GET', '/v1/objects', { query: { kind, selector: opts.selector } });
  if (format === 'json' || format === 'yaml') {
    await printData(format, { apiVersion: 'berth.dev/v1', kind: 'List', items });
  } else if (items.length === 0) {
    process.stderr.write(`No ${kind ? `${kind} objects` : 'objects'} found.\n`);
  } else process.stdout.write(printResources(items, format, !kind));
  return 0;
}

async function watch(client: ApiClient, kind: string | undefined, selector: string | undefined, format: OutputFormat): Promise<number> {
  let headerShown = false;
  for await (const change of client.stream<{ type: string; object: Resource }>('GET', '/v1/objects', { query: { kind, selector, watch: true } })) {
    if (format === 'json') {
      process.stdout.write(JSON.stringify(change) + '\n');
      continue;
    }
    const cols = columnsFor(change.object.kind, format === 'wide');
    const row = cols.row(change.object).map(dash);
    // Rows arrive one at a time: fixed-width columns instead of aligning on the widest cell.
    if (!headerShown) process.stdout.write(['EVENT', ...cols.headers].map((h) => h.padEnd(12)).join(' ').trimEnd() + '\n');
    headerShown = true;
    process.stdout.write([change.type, ...row].map((c) => c.padEnd(12)).join(' ').trimEnd() + '\n');
  }
  return 0;
}

function eventAge(e: BerthEvent): string {
  return e.count > 1 ? `${age(e.lastTimestamp)} (x${e.count} over ${age(e.firstTimestamp)})` : age(e.lastTimestamp);
}

function indent(text: string, by = '  '): string {
  return text.trimEnd().split('\n').map((l) => by + l).join('\n') + '\n';
}

export async function describe(client: ApiClient, kindWord: string, nameArg: string | undefined): Promise<number> {
  const { kind, name } = kindAndName(kindWord, nameArg);
  if (!name) throw new InvalidArgumentError('describe needs KIND NAME or KIND/NAME (e.g. container/web)');
  const r = await client.json<Resource>('GET', `/v1/objects/${kind}/${encodeURIComponent(name)}`);
  const { items: events } = await client.json<{ items: BerthEvent[] }>('GET', '/v1/events', { query: { kind, name, limit: 20 } });
  const m = r.metadata;
  const kv = (o: Record<string, string> | undefined) => (o && Object.keys(o).length ? Object.entries(o).map(([k, v]) => `${k}=${v}`).join('\n              ') : '<none>');
  const { conditions, observedGeneration, phase, ...restStatus } = r.status ?? {};
  let out = '';
  out += `Name:         ${m.name}\nKind:         ${r.kind}\nLabels:       ${kv(m.labels)}\nAnnotations:  ${kv(m.annotations)}\n`;
  out += `Source:       ${m.source}\nUID:          ${m.uid}\nCreated:      ${m.creationTimestamp} (${age(m.creationTimestamp)} ago)\n`;
  out += `Generation:   ${m.generation}\nObserved:     ${observedGeneration ?? '<not yet observed>'}\nPhase:        ${phase ?? '<none>'}\n`;
  out += `Spec:\n${indent(await formatYaml(r.spec))}`;
  out += `Status:\n${Object.keys(restStatus).length ? indent(await formatYaml(restStatus)) : '  <none>\n'}`;
  out += 'Conditions:\n';
  out += conditions?.length
    ? indent(formatTable(['TYPE', 'STATUS', 'REASON', 'LAST TRANSITION', 'MESSAGE'], conditions.map((c) => [c.type, c.status, c.reason, age(c.lastTransitionTime), c.message])))
    : '  <none>\n';
  out += 'Events:\n';
  out += events.length
    ? indent(formatTable(['TYPE', 'REASON', 'AGE', 'FROM', 'MESSAGE'], events.map((e) => [e.type, e.reason, eventAge(e), e.component, e.message])))
    : '  <none>\n';
  process.stdout.write(out);
  return 0;
}

const eventHeaders = ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'];
const eventRow = (e: BerthEvent): Row => [eventAge(e), e.type, e.reason, `${e.involvedObject.kind.toLowerCase()}/${e.involvedObject.name}`, e.message.split('\n')[0]];

/**
 * Docker's event filters and times: --since/--until (RFC 3339, a Unix time, or a duration before
 * now) and --filter type=container|image, container=NAME, image=NAME, event=REASON (keys AND-ed,
 * the values of one key OR-ed).
 */
function eventFilter(opts: { since?: string; until?: string; filter?: string[] }): (e: BerthEvent) => boolean {
  const since = opts.since !== undefined ? dockerTime(opts.since, '--since') : undefined;
  const until = opts.until !== undefined ? dockerTime(opts.until, '--until') : undefined;
  const by = new Map<string, string[]>();
  for (const f of opts.filter ?? []) {
    const i = f.indexOf('=');
    const k = f.slice(0, i);
    if (i <= 0 || !['type', 'container', 'image', 'event'].includes(k)) throw new InvalidArgumentError(`--filter "${f}": use type=container|image, container=NAME, image=NAME or event=REASON`);
    by.set(k, [...(by.get(k) ?? []), f.slice(i + 1)]);
  }
  const test: Record<string, (e: BerthEvent, v: string) => boolean> = {
    type: (e, v) => e.involvedObject.kind.toLowerCase() === v.toLowerCase(),
    container: (e, v) => e.involvedObject.kind === 'Container' && e.involvedObject.name === v,
    image: (e, v) => e.involvedObject.kind === 'Image' && e.involvedObject.name === v,
    event: (e, v) => e.reason.toLowerCase() === v.toLowerCase(),
  };
  return (e) => {
    const t = Date.parse(e.lastTimestamp);
    if ((since !== undefined && t < since) || (until !== undefined && t > until)) return false;
    return [...by].every(([k, vs]) => vs.some((v) => test[k]!(e, v)));
  };
}

export async function events(client: ApiClient, kindWord: string | undefined, name: string | undefined, opts: { follow?: boolean; output?: string; limit?: string; since?: string; until?: string; filter?: string[] }): Promise<number> {
  const format = parseFormat(opts.output, ['table', 'json', 'yaml']);
  const kind = kindWord ? (kindWord.toLowerCase() === 'manifest' ? 'Manifest' : resolveKind(kindWord)) : undefined;
  const keep = eventFilter(opts);
  const query = { kind, name, limit: opts.limit ?? (opts.follow ? 20 : undefined) };
  if (!opts.follow) {
    const items = (await client.json<{ items: BerthEvent[] }>('GET', '/v1/events', { query })).items.filter(keep);
    if (format === 'json' || format === 'yaml') await printData(format, { items });
    else if (items.length === 0) process.stderr.write('No events found.\n');
    else process.stdout.write(formatTable(eventHeaders, items.map(eventRow)));
    return 0;
  }
  const widths = [22, 8, 20, 30];
  if (format === 'table') process.stdout.write(eventHeaders.map((h, i) => h.padEnd(widths[i] ?? 0)).join(' ').trimEnd() + '\n');
  for await (const e of client.stream<BerthEvent>('GET', '/v1/events', { query: { ...query, follow: true } })) {
    if (!keep(e)) continue;
    if (format === 'table') process.stdout.write(eventRow(e).map((c, i) => String(c).padEnd(widths[i] ?? 0)).join(' ').trimEnd() + '\n');
    else process.stdout.write(JSON.stringify(e) + '\n');
  }
  return 0;
}
