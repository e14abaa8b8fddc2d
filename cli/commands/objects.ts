// get, describe, events: the verbs that read objects and what happened to them.
import type { Command } from 'commander';
import { action, clientFor, collect } from '../action.ts';

const verbs = () => import('../verbs/objects.ts');

export function register(program: Command): void {
  program
    .command('get')
    .description('list objects (all kinds, one kind, or one object)')
    .argument('[kind]', 'container, image, ... (plural and short names work), or KIND/NAME')
    .argument('[name]', 'one object')
    .option('-o, --output <format>', 'wide, json, yaml or name')
    .option('-l, --selector <labels>', 'label selector: app=web,tier!=db')
    .option('-w, --watch', 'after listing, print each change as it happens')
    .option('-n, --namespace <namespace>', 'objects of this Kubernetes namespace (default: "default", the objects applied without one)')
    .option('-A, --all-namespaces', 'objects of every namespace')
    .action(action(async (kind: string | undefined, name: string | undefined, opts: { output?: string; selector?: string; watch?: boolean; namespace?: string; allNamespaces?: boolean }, cmd: Command) =>
      (await verbs()).get(await clientFor(cmd), kind, name, opts)));

  program
    .command('describe')
    .description('show one object in detail: spec, status, conditions, recent events')
    .argument('<kind>', 'KIND, or KIND/NAME')
    .argument('[name]')
    .action(action(async (kind: string, name: string | undefined, _opts: unknown, cmd: Command) => (await verbs()).describe(await clientFor(cmd), kind, name)));

  program
    .command('events')
    .description('list events (of all objects, a kind, or one object)')
    .argument('[kind]')
    .argument('[name]')
    .option('--follow', 'keep printing events as they are recorded')
    .option('--limit <n>', 'only the newest N events')
    .option('--since <time>', 'only events since a time (RFC 3339, a Unix time, or 10m: ago)')
    .option('--until <time>', 'only events until a time')
    .option('-f, --filter <key=value>', 'type=container|image, container=NAME, image=NAME, event=REASON (repeatable)', collect, [])
    .option('-o, --output <format>', 'json or yaml')
    .action(action(async (kind: string | undefined, name: string | undefined, opts: { follow?: boolean; output?: string; limit?: string; since?: string; until?: string; filter?: string[] }, cmd: Command) =>
      (await verbs()).events(await clientFor(cmd), kind, name, opts)));
}
