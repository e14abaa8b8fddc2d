// `berth daemon`: the daemon's own command line. bin/berth hands the process here when the verb is
// `daemon`, so the CLI (a thin client of the API) never loads the server and the server never
// loads the CLI. Flags are parsed with commander, as the CLI's are.
import { Command } from 'commander';
import { runDaemon } from './daemon.ts';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

interface DaemonFlags {
  root: string;
  socket?: string;
  watch: string[];
  metricsAddr?: string;
  runtime: string;
  insecureRegistry: string[];
  cgroupParent: string;
  cniPath?: string;
}

const program = new Command('berth').option('--socket <path>', 'API socket (or host:port) to listen on').enablePositionalOptions();
program
  .command('daemon')
  .description('run the berth daemon in the foreground (logs on stderr; stops on SIGTERM/SIGINT)')
  .option('--root <dir>', 'data root (state.db, content, containers, ...)', '/var/lib/berth')
  // Also here, after the verb, as every verb of the CLI takes it.
  .option('--socket <path>', 'API socket (or host:port) to listen on; default $BERTH_SOCKET or /run/berth/berth.sock')
  .option('--watch <dir>', 'apply every manifest under DIR and follow its changes (repeatable)', collect, [])
  .option('--metrics-addr <host:port>', 'serve Prometheus metrics on HOST:PORT')
  .option('--runtime <name>', "container runtime: native (berth's own launcher), runc, or none (store objects only); keep one per root", 'native')
  .option('--cgroup-parent <name>', 'cgroup under which containers are placed', 'berth')
  .option('--insecure-registry <host:port>', 'reach this registry over plain http (repeatable; loopback ones always are)', collect, [])
  .option('--cni-path <dirs>', 'colon-separated directories to look for CNI plugins in first (default $CNI_PATH), then /opt/cni/bin, /usr/lib/cni, /usr/libexec/cni')
  .action(async (opts: DaemonFlags, cmd: Command) => {
    try {
      if (!['runc', 'native', 'none'].includes(opts.runtime)) throw new Error(`--runtime "${opts.runtime}" must be runc, native or none`);
      const socket = (cmd.optsWithGlobals() as { socket?: string }).socket ?? process.env.BERTH_SOCKET ?? '/run/berth/berth.sock';
      await runDaemon({
        root: opts.root,
        socket,
        watch: opts.watch,
        ...(opts.metricsAddr ? { metricsAddr: opts.metricsAddr } : {}),
        runtime: opts.runtime as 'runc' | 'native' | 'none',
        insecureRegistries: opts.insecureRegistry,
        cgroupParent: opts.cgroupParent,
        ...(opts.cniPath ? { cniPath: opts.cniPath.split(':').filter(Boolean) } : {}),
      });
    } catch (err) {
      process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    }
    // Stopped cleanly: do not wait for stray handles of a service to let the process end.
    process.exit(0);
  });

await program.parseAsync(process.argv);
