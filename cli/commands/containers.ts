// Docker-style verbs on containers: run, ps, logs, exec, stop, start, kill, rm, pause, unpause,
// inspect, stats, top.
import type { Command } from 'commander';
import { action, clientFor, collect } from '../action.ts';

const verbs = () => import('../verbs/containers.ts');

export function register(program: Command): void {
  program
    .command('run')
    .description('run a command in a new container (a one-off Container object, restartPolicy Never)')
    .argument('<image>', 'image reference (registry/name:tag) or an Image object name')
    .argument('[command...]', 'the command and its arguments (default: the image\'s)')
    .option('--name <name>', 'name of the container (default: run-<random>)')
    .option('-d, --detach', 'run in the background and print the container id')
    .option('--rm', 'remove the container when it exits')
    .option('-e, --env <NAME=VALUE>', 'set an environment variable (repeatable)', collect, [])
    .option('-p, --publish <[ip:]host:container[/proto]>', 'publish a container port on the host (repeatable)', collect, [])
    .option('--network <name>', 'none, host, bridge (the default network berth) or a network\'s name')
    .option('-v, --volume <[src:]dest[:opts]>', 'bind a host path (made if missing), mount a named volume (opts: ro, nocopy), or an anonymous volume at dest (repeatable)', collect, [])
    .option('--mount <type=…,source=…,target=…>', 'a bind (must exist), volume or tmpfs mount, Docker\'s keys (repeatable)', collect, [])
    .option('--tmpfs <dest[:opts]>', 'a tmpfs at dest (opts: size=64m, mode=1777, exec, …) (repeatable)', collect, [])
    .option('--volumes-from <container[:ro|rw]>', 'mount the volumes and binds of another container (repeatable)', collect, [])
    .option('-m, --memory <size>', 'memory limit (e.g. 64m, 1g)')
    .option('--cpus <n>', 'CPU limit (e.g. 0.5)')
    .option('-w, --workdir <dir>', 'working directory inside the container')
    .option('-u, --user <user>', 'user[:group] to run as')
    .option('--entrypoint <cmd>', 'override the image\'s entrypoint')
    .option('--restart <policy>', 'Always, OnFailure or Never', 'Never')
    .option('--cap-add <cap>', 'add a capability (NET_ADMIN…, ALL; repeatable)', collect, [])
    .option('--cap-drop <cap>', 'drop a capability (repeatable; ALL drops every one)', collect, [])
    .option('--privileged', 'every capability and host device, no seccomp, no masked paths')
    .option('--security-opt <opt>', 'seccomp=unconfined|PROFILE.json, no-new-privileges[=true|false] (repeatable)', collect, [])
    .option('--read-only', 'mount the root filesystem read-only')
    .option('--sysctl <name=value>', 'set a namespaced sysctl (repeatable)', collect, [])
    .option('--pids-limit <n>', 'most processes at once (-1: unlimited; default 2048)')
    .option('--userns <mode>', 'auto: a user namespace of its own, root unprivileged on the host; host (default)')
    .passThroughOptions()
    .action(action(async (image: string, command: string[], opts, cmd: Command) => (await verbs()).run(await clientFor(cmd), image, command, opts)));

  program
    .command('ps')
    .description('list containers (running ones; -a: all)')
    .option('-a, --all', 'show all containers, also stopped ones')
    .option('-q, --quiet', 'only names')
    .option('-o, --output <format>', 'json')
    .action(action(async (opts, cmd: Command) => (await verbs()).ps(await clientFor(cmd), opts)));

  program
    .command('logs')
    .description('print a container\'s output')
    .argument('<name>')
    .option('-f, --follow', 'keep printing until the container exits')
    .option('-n, --tail <n>', 'only the last N lines ("all" for everything)')
    .option('-t, --timestamps', 'prefix each line with its time')
    .action(action(async (name: string, opts, cmd: Command) => (await verbs()).logs(await clientFor(cmd), name, opts)));

  program
    .command('exec')
    .description('run a command in a running container; exits with its code')
    .argument('<name>')
    .argument('<command...>')
    .option('-e, --env <NAME=VALUE>', 'environment variable (repeatable)', collect, [])
    .option('-u, --user <user>', 'user[:group]')
    .option('-w, --workdir <dir>', 'working directory')
    .passThroughOptions()
    .action(action(async (name: string, command: string[], opts, cmd: Command) => (await verbs()).exec(await clientFor(cmd), name, command, opts)));

  for (const [verb, what] of [
    ['stop', 'stop containers (with their stop signal and grace period); they stay stopped until `start`'],
    ['start', 'start stopped containers'],
    ['pause', 'freeze every process of containers'],
    ['unpause', 'thaw paused containers'],
  ] as const) {
    program
      .command(verb)
      .description(what)
      .argument('<names...>')
      .action(action(async (names: string[], _opts, cmd: Command) => (await verbs()).lifecycle(await clientFor(cmd), verb, names)));
  }

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
    .description('everything about containers (or images), as JSON')
    .argument('<names...>')
    .action(action(async (names: string[], _opts, cmd: Command) => (await verbs()).inspect(await clientFor(cmd), names)));

  program
    .command('stats')
    .description('live CPU, memory and pids of containers')
    .argument('[names...]')
    .option('--no-stream', 'print once and exit')
    .action(action(async (names: string[], opts: { stream: boolean }, cmd: Command) => (await verbs()).stats(await clientFor(cmd), names, { noStream: !opts.stream })));

  program
    .command('top')
    .description('the processes of a container')
    .argument('<name>')
    .action(action(async (name: string, _opts, cmd: Command) => (await verbs()).top(await clientFor(cmd), name)));
}
