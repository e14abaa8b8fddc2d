// Image verbs: pull, push, images, tag, rmi, image prune|inspect|ls, save, load, login, logout.
import type { Command } from 'commander';
import { action, clientFor } from '../action.ts';

const verbs = () => import('../verbs/images.ts');

export function register(program: Command): void {
  program
    .command('pull')
    .description('pull an image from a registry')
    .argument('<ref>', 'e.g. busybox:1.36, localhost:5000/app:v1')
    .option('-q, --quiet', 'print only the digest')
    .action(action(async (ref: string, opts: { quiet?: boolean }, cmd: Command) => (await verbs()).pull(await clientFor(cmd), ref, opts)));

  program
    .command('push')
    .description('push an image to its registry')
    .argument('<ref>')
    .option('-q, --quiet', 'print only the digest')
    .action(action(async (ref: string, opts: { quiet?: boolean }, cmd: Command) => (await verbs()).push(await clientFor(cmd), ref, opts)));

  program
    .command('images')
    .description('list images (shared layers counted once in the total)')
    .option('-o, --output <format>', 'json')
    .option('-q, --quiet', 'print only image ids')
    .option('--digests', 'show digests')
    .action(action(async (opts: { output?: string; quiet?: boolean; digests?: boolean }, cmd: Command) => (await verbs()).images(await clientFor(cmd), opts)));

  program
    .command('tag')
    .description('give an image another name')
    .argument('<source>')
    .argument('<target>')
    .action(action(async (source: string, target: string, _o, cmd: Command) => (await verbs()).tag(await clientFor(cmd), source, target)));

  program
    .command('rmi')
    .description('remove image tags (the content goes at the next `image prune`)')
    .argument('<refs...>')
    .option('-f, --force', 'even when a container uses it')
    .action(action(async (refs: string[], opts: { force?: boolean }, cmd: Command) => (await verbs()).rmi(await clientFor(cmd), refs, opts)));

  const image = program.command('image').description('manage images');
  image
    .command('ls')
    .description('list images')
    .option('-o, --output <format>', 'json')
    .option('-q, --quiet', 'print only image ids')
    .option('--digests', 'show digests')
    .action(action(async (opts: { output?: string; quiet?: boolean; digests?: boolean }, cmd: Command) => (await verbs()).images(await clientFor(cmd), opts)));
  image
    .command('inspect')
    .description('an image\'s manifest and config, as JSON')
    .argument('<refs...>')
    .action(action(async (refs: string[], _o, cmd: Command) => (await verbs()).inspect(await clientFor(cmd), refs)));
  image
    .command('prune')
    .description('delete what no tagged image and no container needs')
    .action(action(async (_o, cmd: Command) => (await verbs()).prune(await clientFor(cmd))));

  program
    .command('save')
    .description('write images to a tar archive')
    .argument('<refs...>')
    .requiredOption('-o, --output <file>', 'the archive to write')
    .option('--format <format>', 'docker-archive (what docker load reads) or oci-archive', 'docker-archive')
    .action(action(async (refs: string[], opts: { output: string; format: string }, cmd: Command) => (await verbs()).save(await clientFor(cmd), refs, opts)));

  program
    .command('load')
    .description('read images from a tar archive (docker-archive or oci-archive)')
    .requiredOption('-i, --input <file>', 'the archive')
    .action(action(async (opts: { input: string }, cmd: Command) => (await verbs()).load(await clientFor(cmd), opts.input)));

  program
    .command('login')
    .description('check credentials for a registry and have the daemon keep them (in the credential helper its ~/.docker/config.json names, else in that file)')
    .argument('<registry>', 'host[:port]')
    .option('-u, --username <user>')
    .option('-p, --password <password>', 'prefer --password-stdin')
    .option('--password-stdin', 'read the password from standard input')
    .action(
      action(async (registry: string, opts: { username?: string; password?: string; passwordStdin?: boolean }, cmd: Command) =>
        (await verbs()).login(await clientFor(cmd), registry, opts),
      ),
    );

  program
    .command('logout')
    .description('forget the credentials of a registry (in the credential helper too)')
    .argument('<registry>')
    .action(action(async (registry: string, _opts: unknown, cmd: Command) => (await verbs()).logout(await clientFor(cmd), registry)));
}
