// apply, diff, delete, validate, schema: the verbs that take manifests.
import type { Command } from 'commander';
import { action, clientFor, collect } from '../action.ts';

const verbs = () => import('../verbs/manifests.ts');

export function register(program: Command): void {
  program
    .command('apply')
    .description('create or update the objects in manifests (nothing is applied if any document is invalid)')
    .requiredOption('-f, --filename <path>', 'a manifest file, a directory (recursive), or - for stdin (repeatable)', collect, [])
    .option('--dry-run [strategy]', 'show what would change, changing nothing: server (the daemon checks; the default) or client (checked here)')
    .option('--prune', 'also delete objects previously applied from these files/directories that they no longer define')
    .option('-o, --output <format>', 'json')
    .option('--wait', 'then wait until every applied object is Ready (or Failed: exit 1)')
    .option('--timeout <duration>', 'give up waiting after this long (exit 1): 90, 30s, 5m', '5m')
    .action(action(async (opts: { filename: string[]; dryRun?: boolean | string; prune?: boolean; output?: string; wait?: boolean; timeout: string }, cmd: Command) => {
      // Checked before anything is applied: a bad flag changes nothing.
      const timeout = (await import('../../specs/duration.ts')).parseDurationSeconds(opts.timeout, '--timeout');
      const client = await clientFor(cmd);
      const code = await (await verbs()).apply(client, opts.filename, opts);
      if (!opts.wait || opts.dryRun || code !== 0) return code;
      return (await import('../verbs/containers.ts')).waitReady(client, (await verbs()).lastApplied, timeout);
    }));

  program
    .command('export')
    .description('print berth objects (from the daemon, or from manifests with -f) as Kubernetes manifests')
    .argument('[objects...]', 'KIND/NAME of the objects to export (default: all, or those of -f)')
    .option('-f, --filename <path>', 'a manifest file or directory to export instead of the daemon\'s objects (repeatable)', collect, [])
    .requiredOption('--to <target>', 'what to export to: kubernetes')
    .option('--image <name=ref>', 'where an Image that berth builds was pushed, as a cluster pulls it (repeatable)', collect, [])
    .action(action(async (refs: string[], opts: { filename: string[]; to: string; image: string[] }, cmd: Command) =>
      (await import('../verbs/export.ts')).exportObjects(() => clientFor(cmd), refs, opts)));

  program
    .command('diff')
    .description('show how the manifests differ from the daemon\'s objects (exit 0: none, 1: differences, >1: error)')
    .requiredOption('-f, --filename <path>', 'a manifest file, a directory, or - (repeatable)', collect, [])
    .option('--prune', 'also show the objects an apply --prune would delete')
    .action(action(async (opts: { filename: string[]; prune?: boolean }, cmd: Command) =>
      (await verbs()).diff(await clientFor(cmd), opts.filename, opts), { errorExit: 2 }));

  program
    .command('delete')
    .description('delete objects: `delete KIND NAME...` or `delete -f PATH`')
    .argument('[kind]', 'kind of the objects (container, image...)')
    .argument('[names...]', 'names of the objects')
    .option('-f, --filename <path>', 'delete the objects these manifests define (repeatable)', collect, [])
    .option('--ignore-not-found', 'do not fail for objects that do not exist')
    .action(action(async (kind: string | undefined, names: string[], opts: { filename: string[]; ignoreNotFound?: boolean }, cmd: Command) => {
      const v = await verbs();
      const { InvalidArgumentError } = await import('../../specs/errdefs.ts');
      if (opts.filename.length) {
        if (kind) throw new InvalidArgumentError('give either -f PATH or KIND NAME, not both');
        return v.deleteFromFiles(await clientFor(cmd), opts.filename, opts);
      }
      if (!kind || (names.length === 0 && !kind.includes('/'))) throw new InvalidArgumentError('delete needs KIND NAME... (e.g. `berth delete container web`) or -f PATH');
      const { kindAndName } = await import('../../specs/kinds.ts');
      // kubectl's forms: `delete container web db`, `delete container/web`.
      const refs = kind.includes('/') ? [kindAndName(kind, undefined), ...names.map((n) => kindAndName(n, undefined))] : names.map((n) => kindAndName(kind, n));
      return v.deleteRefs(await clientFor(cmd), refs.map((r) => ({ kind: r.kind, name: r.name! })), opts);
    }));

  program
    .command('validate')
    .description('check manifests without a daemon: every problem as file:line:col')
    .requiredOption('-f, --filename <path>', 'a manifest file, a directory, or - (repeatable)', collect, [])
    .option('-o, --output <format>', 'json')
    .action(action(async (opts: { filename: string[]; output?: string }) => (await verbs()).validate(opts.filename, opts)));

  program
    .command('schema')
    .description('print the JSON Schema (draft-07) of manifests (for editors: yaml-language-server)')
    .argument('[kind]', 'only this kind')
    .option('-o, --output <format>', 'json (default) or yaml')
    .action(action(async (kind: string | undefined, opts: { output?: string }) => (await verbs()).schema(kind, opts)));
}
