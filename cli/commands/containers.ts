// Docker-style verbs on containers (run and create: run.ts): ps, logs, exec, stop, start, kill, rm, pause, unpause,
// inspect, stats, top, cp, commit, update.
import type { Command } from 'commander';
import { action, clientFor, collect } from '../action.ts';

const verbs = () => import('../verbs/containers.ts');

export function register(program: Command): void {
  program
    .command('ps')
    .description('list containers (running ones; -a: all)')
    .option('-a, --all', 'show all containers, also stopped ones')
    .option('-q, --quiet', 'only ids')
    .option('-f, --filter <key=value>', 'status=, name=, id=, label=, ancestor=, exited= (repeatable)', collect, [])
    .option('-n, --last <n>', 'the n containers created last (all states)')
    .option('-l, --latest', 'the container created last (all states)')
    .option('--no-trunc', 'do not shorten ids and commands')
    .option('-s, --size', 'the SIZE column: bytes of the writable layer (virtual: with the image\'s)')
    .option('--format <template>', 'a Go template, table [TEMPLATE], or json')
    .option('-o, --output <format>', 'json (berth\'s own summaries)')
    .action(action(async (opts, cmd: Command) => (await import('../verbs/ps.ts')).ps(await clientFor(cmd), { ...opts, noTrunc: opts.trunc === false })));

  program
    .command('logs')
    .description('print a container\'s output')
    .argument('<name>')
    .option('-f, --follow', 'keep printing until the container exits')
    .option('-n, --tail <n>', 'only the last N lines ("all" for everything)')
    .option('-t, --timestamps', 'prefix each line with its time')
    .option('--since <time>', 'only lines since a time (2026-01-02T15:04:05Z, a Unix time, or 10m: ago)')
    .option('--until <time>', 'only lines before a time (same forms)')
    .option('--details', 'show the extra attributes logged with each line (berth logs none)')
    .action(action(async (name: string, opts, cmd: Command) => (await verbs()).logs(await clientFor(cmd), name, opts)));

  program
    .command('wait')
    .description('wait until containers stop; print each one\'s exit code')
    .argument('<names...>')
    .action(action(async (names: string[], _opts, cmd: Command) => (await verbs()).wait(await clientFor(cmd), names)));

  program
    .command('exec')
    .description('run a command in a running container; exits with its code')
    .argument('<name>')
    .argument('<command...>')
    .option('-e, --env <NAME=VALUE>', 'environment variable (repeatable)', collect, [])
    .option('--env-file <file>', 'read NAME=VALUE lines from a file (repeatable)', collect, [])
    .option('-u, --user <user>', 'user[:group]')
    .option('-w, --workdir <dir>', 'working directory')
    .option('-i, --interactive', 'keep stdin open: this terminal\'s input goes to the process')
    .option('-t, --tty', 'run the process on a terminal of its own')
    .option('--detach-keys <keys>', 'the keys that detach from the process (default ctrl-p,ctrl-q)')
    .passThroughOptions()
    .action(action(async (name: string, command: string[], opts, cmd: Command) => {
      // --env-file first, -e after (a later setting wins), read here on the client as Docker's.
      if (opts.envFile.length) opts.env = [...(await (await import('../verbs/run.ts')).envFileLines(opts.envFile)), ...opts.env];
      return opts.interactive || opts.tty
        ? (await import('../verbs/attach.ts')).execAttached(await clientFor(cmd), name, command, opts)
        : (await verbs()).exec(await clientFor(cmd), name, command, opts);
    }));

  for (const [verb, what] of [
    ['stop', 'stop containers (with their stop signal and grace period); they stay stopped until `start`'],
    ['start', 'start stopped containers'],
    ['pause', 'freeze every process of containers'],
    ['unpause', 'thaw paused containers'],
    ['restart', 'stop containers (when running), then start them'],
  ] as const) {
    const c = program.command(verb).description(what).argument('<names...>');
    if (verb === 'stop' || verb === 'restart') {
      c.option('-t, --time <seconds>', 'seconds to wait for it to stop before killing it (default: its stop timeout)')
        .option('--timeout <seconds>', 'the same as -t (Docker\'s other spelling)');
    }
    if (verb === 'start') {
      c.option('-a, --attach', 'attach its output (and its signals); exit with its exit code')
        .option('-i, --interactive', 'attach this terminal\'s input too')
        .option('--detach-keys <keys>', 'the keys that detach from the container (default ctrl-p,ctrl-q)');
    }
    c.action(action(async (names: string[], opts: { time?: string; timeout?: string; attach?: boolean; interactive?: boolean; detachKeys?: string }, cmd: Command) =>
      opts.attach || opts.interactive
        ? (await import('../verbs/start.ts')).startAttached(await clientFor(cmd), names, opts)
        : (await verbs()).lifecycle(await clientFor(cmd), verb, names, { ...opts, ...(opts.time === undefined && opts.timeout !== undefined ? { time: opts.timeout } : {}) })));
  }

  program
    .command('rename')
    .description('give a container another name (it keeps running: same id, same process)')
    .argument('<container>')
    .argument('<new-name>')
    .action(action(async (from: string, to: string, _o: unknown, cmd: Command) => (await verbs()).rename(await clientFor(cmd), from, to)));

  program
    .command('update')
    .description('change the limits and restart policy of containers, live (same id, same process)')
    .argument('<names...>')
    .option('-m, --memory <size>', 'memory limit (e.g. 64m, 1g; at least 6m)')
    .option('--memory-swap <size>', 'memory plus swap (e.g. 128m); -1: unlimited swap')
    .option('--cpus <n>', 'CPU limit (e.g. 0.5; 0: none)')
    .option('-c, --cpu-shares <n>', 'CPU weight against other containers (default 1024)')
    .option('--pids-limit <n>', 'most processes at once (-1: unlimited)')
    .option('--restart <policy>', 'no, always, on-failure[:max-retries] or unless-stopped')
    .action(action(async (names: string[], opts, cmd: Command) => (await import('../verbs/update.ts')).update(await clientFor(cmd), names, opts)));

  program
    .command('kill')
    .description('send a signal to containers\' main process (the restart policy then applies)')
    .argument('<names...>')
    .option('-s, --signal <signal>', 'signal name or number', 'SIGKILL')
    .action(action(async (names: string[], opts: { signal: string }, cmd: Command) => (await verbs()).lifecycle(await clientFor(cmd), 'kill', names, opts)));

  program
    .command('rm')
    .description('remove containers (their Container objects)')
    .argument('<names...>')
    .option('-f, --force', 'stop running containers first')
    .option('-v, --volumes', 'also remove their anonymous volumes (named volumes always stay)')
    .action(action(async (names: string[], opts: { force?: boolean; volumes?: boolean }, cmd: Command) => (await verbs()).lifecycle(await clientFor(cmd), 'rm', names, opts)));

  program
    .command('inspect')
    .description('containers (or images) as Docker\'s JSON, or a Go template of each (-f)')
    .argument('<names...>', 'container names or ids, image references or ids')
    .option('-f, --format <template>', 'a Go template (e.g. \'{{.State.Pid}}\'), or json')
    .option('--type <type>', 'container or image (default: a container if one has the name, else an image)')
    .action(action(async (names: string[], o: { format?: string; type?: string }, cmd: Command) => (await import('../verbs/inspect.ts')).inspect(await clientFor(cmd), names, o)));

  program
    .command('stats')
    .description('live CPU, memory and pids of containers')
    .argument('[names...]')
    .option('-a, --all', 'all containers (stopped ones too, with zeros); default: the running ones')
    .option('--no-stream', 'print once and exit')
    .option('--no-trunc', 'do not shorten ids')
    .option('--format <template>', 'a Go template, table [TEMPLATE], or json')
    .action(action(async (names: string[], opts: { stream: boolean; trunc: boolean; format?: string; all?: boolean }, cmd: Command) =>
      (await verbs()).stats(await clientFor(cmd), names, { noStream: !opts.stream, noTrunc: !opts.trunc, all: !!opts.all, ...(opts.format ? { format: opts.format } : {}) })));

  program
    .command('cp')
    .description('copy files between a container and the host (CONTAINER:PATH; - is a tar stream on stdin/stdout)')
    .argument('<src>', 'CONTAINER:SRC_PATH, a host path, or - (a tar on stdin)')
    .argument('<dest>', 'CONTAINER:DEST_PATH, a host path, or - (a tar on stdout)')
    .option('-a, --archive', 'keep the files\' uid and gid')
    .option('-L, --follow-link', 'follow a symlink given as the host source')
    .option('-q, --quiet', 'no progress line (there is none unless stderr is a terminal)')
    .action(action(async (src: string, dest: string, o: { archive?: boolean; followLink?: boolean; quiet?: boolean }, cmd: Command) =>
      (await import('../verbs/cp.ts')).cp(await clientFor(cmd), src, dest, o)));

  program
    .command('commit')
    .description('create a new image from a container\'s changes (prints its id)')
    .argument('<container>')
    .argument('[reference]', 'REPOSITORY[:TAG] (none: an untagged image)')
    .option('-a, --author <author>', 'author (e.g. "Jane <jane@example.com>")')
    .option('-c, --change <instruction>', 'a Dockerfile instruction to apply: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, WORKDIR, … (repeatable)', collect, [])
    .option('-m, --message <message>', 'commit message')
    .option('-p, --pause [bool]', 'pause the container during the commit (default true; --pause=false)', 'true')
    .action(action(async (container: string, reference: string | undefined, o: { author?: string; change: string[]; message?: string; pause: string | boolean }, cmd: Command) =>
      (await verbs()).commit(await clientFor(cmd), container, reference, o)));

  program
    .command('top')
    .description('the processes of a container')
    .argument('<name>')
    .action(action(async (name: string, _opts, cmd: Command) => (await verbs()).top(await clientFor(cmd), name)));
}
