// `ps` in Docker's words, for the CLI's table and the Docker Engine API's container list alike:
// the status text ("Up 5 seconds", "Exited (0) 3 minutes ago"), go-units' durations, and Docker's
// filters (status, name, id, label, ancestor, exited), each key's values OR-ed (label's AND-ed, as
// dockerd's), keys AND-ed.
import { InvalidArgumentError } from '../errdefs.ts';
import type { ContainerSummary } from '../api/containers.ts';
import type { DockerContainerListItem } from '../api/docker-engine.ts';
import { unescapeVars } from './command.ts';
import { dockerLabels, dockerNameOf } from './docker-name.ts';

/** go-units' HumanDuration, as Docker words how long ago or for how long: "5 seconds", "About an hour". */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return `${s} seconds`;
  const m = Math.floor(s / 60);
  if (m === 1) return 'About a minute';
  if (m < 60) return `${m} minutes`;
  const h = Math.floor(ms / 3_600_000 + 0.5);
  if (h === 1) return 'About an hour';
  if (h < 48) return `${h} hours`;
  if (h < 24 * 7 * 2) return `${Math.floor(h / 24)} days`;
  if (h < 24 * 30 * 2) return `${Math.floor(h / 24 / 7)} weeks`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24 / 30)} months`;
  return `${Math.floor(ms / 3_600_000 / 24 / 365)} years`;
}

/** Docker's status words (moby container.State.String). */
export function statusText(s: ContainerSummary, now = Date.now()): string {
  const since = (t: string | undefined) => humanDuration(t === undefined ? 0 : now - Date.parse(t));
  if (!s.managed) return `${s.phase} (not created by berth)`;
  switch (s.state) {
    case 'running': return `Up ${since(s.startedAt)}${s.health ? ` (${s.health === 'starting' ? 'health: starting' : s.health})` : ''}`;
    case 'paused': return `Up ${since(s.startedAt)} (Paused)`;
    case 'restarting': return `Restarting (${s.exitCode ?? 0}) ${since(s.finishedAt)} ago`;
    case 'removing': return 'Removal In Progress';
    case 'exited': return s.exitCode !== undefined ? `Exited (${s.exitCode}) ${since(s.finishedAt)} ago` : 'Exited';
    default: return 'Created';
  }
}

const TESTS: Record<string, (s: ContainerSummary, v: string) => boolean> = {
  status: (s, v) => (s.state ?? '') === v,
  name: (s, v) => [s.name, dockerNameOf(s.name, s.labels)].some((n) => new RegExp(v.replace(/^\//, '')).test(n)),
  id: (s, v) => (s.id ?? '').startsWith(v),
  label: (s, v) => {
    const i = v.indexOf('=');
    return i < 0 ? v in (s.labels ?? {}) : s.labels?.[v.slice(0, i)] === v.slice(i + 1);
  },
  ancestor: (s, v) => s.image === v || s.image === `${v}:latest` || s.image.replace(/^docker\.io\/(library\/)?/, '') === v,
  exited: (s, v) => s.state === 'exited' && String(s.exitCode) === v,
  health: (s, v) => (s.health ?? 'none') === v,
};

/** Docker's container filters (key → values) as a predicate; an unknown key is an error naming those known. */
export function containerFilter(
  by: Map<string, string[]>,
  unknown = (k: string, known: string[]) => `invalid filter '${k}' (the container filters are ${known.join(', ')})`,
): (s: ContainerSummary) => boolean {
  for (const k of by.keys()) if (!TESTS[k]) throw new InvalidArgumentError(unknown(k, Object.keys(TESTS)));
  // Labels are AND-ed as dockerd's (docker-compose selects a service by its project and service labels).
  return (s) => [...by].every(([k, vs]) => (k === 'label' ? vs.every((v) => TESTS[k]!(s, v)) : vs.some((v) => TESTS[k]!(s, v))));
}

/** `0.0.0.0:8080->80/tcp` or `80/tcp` (formatPort's texts) back as Docker's list entry ports. */
function listPort(text: string): DockerContainerListItem['Ports'][number] | undefined {
  const m = /^(?:\[?([^\]]*?)\]?:(\d+)->)?(\d+)\/(tcp|udp)$/.exec(text);
  if (!m) return undefined;
  return { ...(m[2] ? { IP: m[1]!, PublicPort: Number(m[2]) } : {}), PrivatePort: Number(m[3]), Type: m[4]! };
}

/** One entry of Docker's GET /containers/json for a container's summary. */
export function dockerListItem(s: ContainerSummary, o: { network?: string; now?: number } = {}): DockerContainerListItem {
  const network = o.network ?? 'bridge';
  return {
    Id: s.id ?? '',
    Names: [`/${dockerNameOf(s.name, s.labels) || (s.id ?? '').slice(0, 12)}`],
    Image: s.image,
    ImageID: '',
    Command: unescapeVars(s.command).join(' '),
    Created: Math.floor(Date.parse(s.created) / 1000),
    Ports: s.ports.map(listPort).filter((p) => p !== undefined),
    ...(s.sizeRw !== undefined ? { SizeRw: s.sizeRw, SizeRootFs: s.sizeRootFs ?? 0 } : {}),
    Labels: dockerLabels(s.labels),
    State: s.state ?? s.phase.toLowerCase(),
    Status: statusText(s, o.now),
    HostConfig: { NetworkMode: network },
    NetworkSettings: { Networks: { [network]: { NetworkID: '', IPAddress: '', Gateway: '', MacAddress: '' } } },
    Mounts: [],
  };
}
