// Image verbs: pull, push, images, tag, rmi, image prune, save, load, login, logout.
import type { Command } from 'commander';
import { action, clientFor, collect } from '../action.ts';

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
    .option('-o, --output <format>', 'json (berth\'s summaries, with the total size counting shared layers once)')
    .option('-a, --all', 'also intermediate images (berth\'s builds keep none: the same list)')
    .option('-q, --quiet', 'print only image ids')
    .option('--digests', 'show digests')
    .option('--no-trunc', 'do not shorten image ids')
    .option('-f, --filter <key=value>', 'dangling=true|false, reference=PATTERN (repeatable)', collect, [])
    .option('--format <template>', 'a Go template, table [TEMPLATE], or json')
    .action(action(async (opts, cmd: Command) => (await verbs()).images(await clientFor(cmd), { ...opts, noTrunc: opts.trunc === false })));

  program
    .command('tag')
    .description('give an image another name')
    .argument('<source>')
    .argument('<target>')
    .action(action(async (source: string, target: string, _o, cmd: Command) => (await verbs()).tag(await clientFor(cmd), source, target)));

  program
    .command('history')
    .description('the steps an image was built by, newest first, with the size of each layer')
    .argument('<image>')
    .option('-q, --quiet', 'only ids')
    .option('-H, --human [bool]', 'sizes and dates for people (default true; -H=false: bytes and RFC 3339)')
    .option('--no-trunc', 'do not shorten the output')
    .option('--format <template>', 'a Go template, table [TEMPLATE], or json')
    .action(action(async (ref: string, o, cmd: Command) => (await verbs()).history(await clientFor(cmd), ref, { ...o, human: !/^=?false$/.test(String(o.human)), noTrunc: o.trunc === false })));

  program
    .command('rmi')
    .description('remove image tags (the content goes at the next `image prune`)')
    .argument('<refs...>')
    .option('-f, --force', 'even when a container uses it')
    .action(action(async (refs: string[], opts: { force?: boolean }, cmd: Command) => (await verbs()).rmi(await clientFor(cmd), refs, opts)));

  // `image ls|rm|inspect|tag|pull|push|save|load|build` are the top-level verbs (cli/groups.ts).
  const image = program.command('image').description('manage images: ls, rm, inspect, tag, pull, push, save, load, build (the verbs of those names), prune');
  image
    .command('prune')
    .description('delete what no tagged image and no container needs')
    .option('-a, --all', 'also every image no container uses')
    .option('-f, --force', 'do not ask (berth never asks)')
    .action(action(async (o: { all?: boolean }, cmd: Command) => (await verbs()).prune(await clientFor(cmd), o)));

  program
    .command('save')
    .description('write images to a tar archive')
    .argument('<refs...>')
    .option('-o, --output <file>', 'the archive to write (default: stdout)')
    .option('--format <format>', 'docker-archive (what docker load reads) or oci-archive', 'docker-archive')
    .action(action(async (refs: string[], opts: { output?: string; format: string }, cmd: Command) => (await verbs()).save(await clientFor(cmd), refs, opts)));

  program
    .command('load')
    .description('read images from a tar archive (docker-archive or oci-archive)')
    .option('-i, --input <file>', 'the archive (default: stdin)')
    .option('-q, --quiet', 'no progress output (berth prints none; the loaded images are still named)')
    .action(action(async (opts: { input?: string }, cmd: Command) => (await verbs()).load(await clientFor(cmd), opts.input)));

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
