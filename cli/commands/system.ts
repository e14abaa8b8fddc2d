// Docker's management groups' own verbs: container prune; system df, info, prune. (The groups'
// other subcommands are the top-level verbs: cli/groups.ts.)
import type { Command } from 'commander';
import { action, clientFor } from '../action.ts';

const verbs = () => import('../verbs/system.ts');

export function register(program: Command): void {
  const container = program
    .command('container')
    .description('manage containers: ls, rm, inspect, run, logs, exec, stop, start, kill, pause, unpause, stats, top, port, wait (the verbs of those names), prune');
  container
    .command('prune')
    .description('remove every stopped container')
    .option('-f, --force', 'do not ask for confirmation')
    .action(action(async (o: { force?: boolean }, cmd: Command) => (await verbs()).containerPrune(await clientFor(cmd), o)));

  const system = program.command('system').description('the daemon as a whole: df, info, prune, events');
  system
    .command('df')
    .description('disk use of images and containers')
    .action(action(async (_o, cmd: Command) => (await verbs()).df(await clientFor(cmd))));
  system
    .command('info')
    .description('the daemon: version, data root, counts of containers and images')
    .action(action(async (_o, cmd: Command) => (await verbs()).info(await clientFor(cmd))));
  system
    .command('prune')
    .description('remove stopped containers, then what no image and no container needs')
    .option('-a, --all', 'also every image no container uses')
    .option('-f, --force', 'do not ask for confirmation')
    .action(action(async (o: { all?: boolean; force?: boolean }, cmd: Command) => (await verbs()).systemPrune(await clientFor(cmd), o)));
}
