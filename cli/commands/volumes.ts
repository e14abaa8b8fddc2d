// `berth volume create|ls|inspect|rm|prune`: volumes as Docker's verbs manage them.
import type { Command } from 'commander';
import { action, clientFor } from '../action.ts';

const collect = (value: string, previous: string[]): string[] => [...previous, value];
const verbs = () => import('../verbs/volumes.ts');

export function register(program: Command): void {
  const volume = program.command('volume').description('manage volumes (data that outlives containers)');

  volume
    .command('create')
    .description('create a volume (also a Volume object); prints its name')
    .argument('[name]', 'the volume\'s name (default: a random one)')
    .option('-d, --driver <driver>', 'volume driver', 'local')
    .option('-o, --opt <key=value>', 'driver option: type, device, o (repeatable), e.g. --opt type=tmpfs --opt device=tmpfs --opt o=size=64m', collect, [])
    .option('-l, --label <key=value>', 'label the volume (repeatable)', collect, [])
    .action(action(async (name: string | undefined, opts, cmd: Command) => (await verbs()).create(await clientFor(cmd), name, opts)));

  volume
    .command('ls')
    .alias('list')
    .description('list volumes')
    .option('-q, --quiet', 'only names')
    .option('-f, --filter <filter>', 'dangling=true|false, label=KEY[=VALUE], name=PART, driver=local (repeatable)', collect, [])
    .action(action(async (opts, cmd: Command) => (await verbs()).ls(await clientFor(cmd), opts)));

  volume
    .command('inspect')
    .description('show volumes (Docker\'s JSON)')
    .argument('<name...>')
    .action(action(async (names: string[], _opts, cmd: Command) => (await verbs()).inspect(await clientFor(cmd), names)));

  volume
    .command('rm')
    .alias('remove')
    .description('remove volumes and their data (never one a container uses)')
    .argument('<name...>')
    .option('-f, --force', 'a volume that does not exist is not an error')
    .action(action(async (names: string[], opts, cmd: Command) => (await verbs()).rm(await clientFor(cmd), names, opts)));

  volume
    .command('prune')
    .description('remove unused anonymous volumes (-a: every unused volume)')
    .option('-a, --all', 'every unused volume, not only anonymous ones')
    .option('-f, --force', 'do not ask for confirmation')
    .option('--filter <filter>', 'label=KEY[=VALUE] (repeatable)', collect, [])
    .action(action(async (opts, cmd: Command) => (await verbs()).prune(await clientFor(cmd), opts)));
}
