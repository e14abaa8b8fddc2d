// `attach`: this terminal to a running container's streams (run -it, exec -it are in run.ts and containers.ts).
import type { Command } from 'commander';
import { action, clientFor } from '../action.ts';

export function register(program: Command): void {
  program
    .command('attach')
    .description('attach this terminal\'s input and output to a running container (detach: ctrl-p ctrl-q)')
    .argument('<name>', 'container name or id')
    .option('--no-stdin', 'do not send this terminal\'s input')
    .option('--detach-keys <keys>', 'the keys that detach from the container (default ctrl-p,ctrl-q)')
    .option('--sig-proxy [bool]', 'send the signals this client gets to the container (default true; without a terminal)', 'true')
    .action(action(async (name: string, opts: { stdin: boolean; detachKeys?: string; sigProxy: string | boolean }, cmd: Command) => (await import('../verbs/attach.ts')).attach(await clientFor(cmd), name, opts)));
}
