// `berth build`: a Dockerfile build through the daemon.
import type { Command } from 'commander';
import { action, clientFor, collect } from '../action.ts';


export function register(program: Command): void {
  program
    .command('build')
    .description('build an image from a Dockerfile and a context directory')
    .argument('<context>', 'the build context directory')
    .option('-t, --tag <ref>', 'name the image (repeatable; at least one)', collect, [])
    .option('-f, --file <path>', 'the Dockerfile (default: CONTEXT/Dockerfile)')
    .option('--build-arg <NAME=VALUE>', 'set a build argument (repeatable)', collect, [])
    .option('--target <stage>', 'build this stage (and what it needs) only')
    .option('--no-cache', 'run every step, do not reuse cached layers')
    .option('--network <mode>', 'network of RUN steps: default (none) or host', 'default')
    .option('-q, --quiet', 'print only the image id')
    .action(action(async (context: string, opts, cmd: Command) => (await import('../verbs/build.ts')).build(await clientFor(cmd), context, opts)));
}
