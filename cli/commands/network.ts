// `berth network create|ls|inspect|rm|connect|disconnect`: named bridge networks (CNI); `berth port`.
import type { Command } from 'commander';
import { action, clientFor, collect } from '../action.ts';

const verbs = () => import('../verbs/network.ts');

export function register(program: Command): void {
  const network = program.command('network').description('manage networks (bridge networks through CNI)');

  network
    .command('create')
    .description('create a bridge network; containers on it reach each other by name')
    .argument('<name>')
    .option('--subnet <cidr>', 'IPv4 subnet, e.g. 10.90.0.0/24 (default: a free /16 of 10.213-254.0.0)')
    .option('-l, --label <key=value>', 'label the network (repeatable)', collect, [])
    .action(action(async (name: string, opts, cmd: Command) => (await verbs()).create(await clientFor(cmd), name, opts)));

  network
    .command('ls')
    .alias('list')
    .description('list networks')
    .option('-q, --quiet', 'only names')
    .option('-o, --output <format>', 'table or json')
    .action(action(async (opts, cmd: Command) => (await verbs()).ls(await clientFor(cmd), opts)));

  network
    .command('inspect')
    .description('show networks and the containers on them (JSON)')
    .argument('<name...>')
    .action(action(async (names: string[], _opts, cmd: Command) => (await verbs()).inspect(await clientFor(cmd), names)));

  network
    .command('rm')
    .alias('remove')
    .description('remove networks (they must have no containers)')
    .argument('<name...>')
    .action(action(async (names: string[], _opts, cmd: Command) => (await verbs()).rm(await clientFor(cmd), names)));

  network
    .command('connect')
    .description('connect a container to a network (live when it runs: an interface of its own, an address, its names there)')
    .argument('<network>')
    .argument('<container>')
    .option('--alias <name>', 'another name of the container on this network (repeatable)', collect, [])
    .action(action(async (net: string, container: string, opts, cmd: Command) => (await verbs()).connect(await clientFor(cmd), net, container, opts)));

  network
    .command('disconnect')
    .description('disconnect a container from a network')
    .argument('<network>')
    .argument('<container>')
    .option('-f, --force', 'force the container to disconnect from a network')
    .action(action(async (net: string, container: string, opts, cmd: Command) => (await verbs()).disconnect(await clientFor(cmd), net, container, opts)));

  program
    .command('port')
    .description('list the published ports of a container, or the host address of one of its ports')
    .argument('<name>')
    .argument('[port]', 'a container port, as 80 or 80/udp')
    .action(action(async (name: string, port: string | undefined, _opts, cmd: Command) => (await verbs()).port(await clientFor(cmd), name, port)));
}
