// `run` and `create`: Docker's flags, Docker's meaning (specs/docker/run.ts translates them).
import type { Command } from 'commander';
import { action, clientFor, collect } from '../action.ts';

const verbs = () => import('../verbs/run.ts');

/** The flags `run` and `create` share, as Docker's. */
function containerFlags(c: Command): Command {
  return c
    .argument('<image>', 'image reference (registry/name:tag) or an Image object\'s name')
    .argument('[args...]', 'arguments: they replace the image\'s CMD (its ENTRYPOINT stays)')
    .helpOption('--help', 'display help for command')
    .option('--name <name>', 'name of the container (default: run-<random>)')
    .option('-i, --interactive', 'keep stdin open (attached: this terminal\'s input goes to it)')
    .option('-t, --tty', 'run the process on a terminal of its own')
    .option('--rm', 'remove the container when it exits (with -d too)')
    .option('-e, --env <NAME=VALUE>', 'set an environment variable; NAME alone takes this shell\'s value (repeatable)', collect, [])
    .option('--env-file <file>', 'read NAME=VALUE lines from a file (repeatable)', collect, [])
    .option('-p, --publish <[ip:][hostPort:]containerPort[/proto]>', 'publish a port; without hostPort on a free one (repeatable)', collect, [])
    .option('-P, --publish-all', 'publish every port the image exposes on free host ports')
    .option('--network <name>', 'none, host, bridge (the default network berth) or a network\'s name')
    .option('--network-alias <name>', 'another name the container answers to on its network (repeatable)', collect, [])
    .option('-v, --volume <[src:]dest[:opts]>', 'bind a host path (made if missing), mount a named volume (opts: ro, nocopy), or an anonymous volume at dest (repeatable)', collect, [])
    .option('--mount <type=…,source=…,target=…>', 'a bind (must exist), volume or tmpfs mount, Docker\'s keys (repeatable)', collect, [])
    .option('--tmpfs <dest[:opts]>', 'a tmpfs at dest (opts: size=64m, mode=1777, exec, …) (repeatable)', collect, [])
    .option('--volumes-from <container[:ro|rw]>', 'mount the volumes and binds of another container (repeatable)', collect, [])
    .option('-m, --memory <size>', 'memory limit (e.g. 64m, 1g)')
    .option('--memory-swap <size>', 'memory plus swap (e.g. 128m; needs -m); -1: unlimited swap')
    .option('--cpus <n>', 'CPU limit (e.g. 0.5)')
    .option('-c, --cpu-shares <n>', 'CPU weight against other containers (default 1024)')
    .option('-w, --workdir <dir>', 'working directory inside the container')
    .option('-u, --user <user>', 'user[:group] to run as')
    .option('--entrypoint <cmd>', 'replace the image\'s ENTRYPOINT ("" clears it)')
    .option('--restart <policy>', 'no, always, on-failure[:max-retries] or unless-stopped', 'no')
    .option('--init', 'run an init (tini) as PID 1 that reaps zombies and forwards signals')
    .option('-h, --hostname <name>', 'the container\'s host name')
    .option('--add-host <host:ip>', 'add a line to /etc/hosts (repeatable)', collect, [])
    .option('-l, --label <key=value>', 'set a label (repeatable)', collect, [])
    .option('--stop-signal <signal>', 'signal that stops the container (default: the image\'s, else SIGTERM)')
    .option('--stop-timeout <seconds>', 'seconds to wait after the stop signal before SIGKILL')
    .option('--pull <policy>', 'pull the image: always, missing or never', 'missing')
    .option('--health-cmd <command>', 'a shell command that tells whether the container is healthy')
    .option('--health-interval <duration>', 'time between health checks (default 30s)')
    .option('--health-timeout <duration>', 'time a health check may take (default 30s)')
    .option('--health-retries <n>', 'failures in a row that make it unhealthy (default 3)')
    .option('--health-start-period <duration>', 'time before the first health check')
    .option('--cap-add <cap>', 'add a capability (NET_ADMIN…, ALL; repeatable)', collect, [])
    .option('--cap-drop <cap>', 'drop a capability (repeatable; ALL drops every one)', collect, [])
    .option('--privileged', 'every capability and host device, no seccomp, no masked paths')
    .option('--security-opt <opt>', 'seccomp=unconfined|PROFILE.json, no-new-privileges[=true|false] (repeatable)', collect, [])
    .option('--read-only', 'mount the root filesystem read-only')
    .option('--sysctl <name=value>', 'set a namespaced sysctl (repeatable)', collect, [])
    .option('--pids-limit <n>', 'most processes at once (-1: unlimited; default 2048)')
    .option('--userns <mode>', 'auto: a user namespace of its own, root unprivileged on the host; host (default)')
    .passThroughOptions();
}

export function register(program: Command): void {
  containerFlags(program.command('run').description('run a command in a new container'))
    .option('-d, --detach', 'run in the background and print the container id')
    .option('--detach-keys <keys>', 'the keys that detach from the container (default ctrl-p,ctrl-q)')
    .option('--sig-proxy [bool]', 'send the signals this client gets to the container (default true; without a terminal)', 'true')
    // Docker's `run` exits 125 when the container could not be run (bad flags, a start that failed).
    .action(action(async (image: string, args: string[], opts, cmd: Command) => (await verbs()).run(await clientFor(cmd), image, args, opts), { errorExit: 125 }));
  containerFlags(program.command('create').description('create a new container without starting it (prints its id; `berth start` starts it)'))
    .action(action(async (image: string, args: string[], opts, cmd: Command) => (await verbs()).create(await clientFor(cmd), image, args, opts)));
}
