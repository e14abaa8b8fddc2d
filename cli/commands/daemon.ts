// `berth daemon`: runs the daemon in the foreground; `berth version`: client and daemon versions.
import type { Command } from 'commander';
import { action, clientFor } from '../action.ts';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function register(program: Command): void {
  program
    .command('daemon')
    .description('run the berth daemon in the foreground (logs on stderr; stops on SIGTERM/SIGINT)')
    .option('--root <dir>', 'data root (state.db, content, containers, ...)', '/var/lib/berth')
    // Also here, after the verb: global options come before the verb (run/exec pass what follows their arguments through).
    .option('--socket <path>', 'API socket (or host:port) to listen on')
    .option('--watch <dir>', 'apply every manifest under DIR and follow its changes (repeatable)', collect, [])
    .option('--metrics-addr <host:port>', 'serve Prometheus metrics on HOST:PORT')
    .option('--runtime <name>', 'container runtime: native (berth\'s own launcher), runc, or none (store objects only); keep one per root', 'native')
    .option('--cgroup-parent <name>', 'cgroup under which containers are placed', 'berth')
    .option('--insecure-registry <host:port>', 'reach this registry over plain http (repeatable; loopback ones always are)', collect, [])
    .option('--cni-path <dirs>', 'colon-separated directories to look for CNI plugins in first (default $CNI_PATH), then /opt/cni/bin, /usr/lib/cni, /usr/libexec/cni')
    .action(
      action(async (opts: { root: string; watch: string[]; metricsAddr?: string; runtime: string; insecureRegistry: string[]; cgroupParent: string; cniPath?: string }, cmd: Command) => {
        const [{ runDaemon }, { socketOf }] = await Promise.all([import('../../server/daemon.ts'), import('../action.ts')]);
        if (!['runc', 'native', 'none'].includes(opts.runtime)) throw new Error(`--runtime "${opts.runtime}" must be runc, native or none`);
        await runDaemon({
          root: opts.root,
          socket: socketOf(cmd),
          watch: opts.watch,
          metricsAddr: opts.metricsAddr,
          runtime: opts.runtime as 'runc' | 'native' | 'none',
          insecureRegistries: opts.insecureRegistry,
          cgroupParent: opts.cgroupParent,
          ...(opts.cniPath ? { cniPath: opts.cniPath.split(':').filter(Boolean) } : {}),
        });
        // Stopped cleanly: do not wait for stray handles of a service to let the process end.
        process.exit(0);
      }),
    );

  program
    .command('version')
    .description('print the client and daemon versions')
    .option('-o, --output <format>', 'json')
    .action(
      action(async (opts: { output?: string }, cmd: Command) => {
        const { berthVersion } = await import('../../specs/version.ts');
        const client = await clientFor(cmd);
        let daemon: { version: string; apiVersion: string } | { error: string };
        try {
          daemon = await client.json('GET', '/v1/version');
        } catch (err) {
          daemon = { error: (err as Error).message };
        }
        if (opts.output === 'json') {
          process.stdout.write(JSON.stringify({ client: { version: berthVersion() }, daemon }, null, 2) + '\n');
        } else {
          process.stdout.write(`Client: ${berthVersion()}\n`);
          process.stdout.write('error' in daemon ? `Daemon: unavailable (${daemon.error})\n` : `Daemon: ${daemon.version} (${daemon.apiVersion})\n`);
        }
      }),
    );
}
