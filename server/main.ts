// `berth daemon`: the daemon's own command line. bin/berth hands the process here when the verb is
// `daemon`, so the CLI (a thin client of the API) never loads the server and the server never
// loads the CLI. Flags are parsed with commander, as the CLI's are; settings come from the flags,
// $BERTH_SOCKET / $BERTH_LOG_LEVEL and the configuration file (server/config/).
// `berth daemon install-service` installs the systemd units (server/systemd/install.ts).
import { Command } from 'commander';
import { addDaemonFlags, givenFromEnv, givenFromFlags, type DaemonFlags } from './config/flags.ts';
import { DEFAULT_CONFIG_FILE, loadConfigFile } from './config/load.ts';
import { optionsFromSettings } from './config/options.ts';
import { resolveSettings, type Settings } from './config/settings.ts';
import { runDaemon } from './daemon.ts';

const program = new Command('berth').option('--socket <path>', 'API socket (or host:port) to listen on').enablePositionalOptions();
const daemon = addDaemonFlags(program.command('daemon').description('run the berth daemon in the foreground (logs on stderr; stops on SIGTERM/SIGINT, reloads its configuration on SIGHUP)')).action(
  async (opts: DaemonFlags, cmd: Command) => {
    try {
      const flags = { ...opts, socket: (cmd.optsWithGlobals() as { socket?: string }).socket };
      const given = givenFromFlags(flags);
      const env = givenFromEnv(process.env);
      const file = opts.configFile ?? DEFAULT_CONFIG_FILE;
      const read = async (): Promise<Settings> => {
        const loaded = await loadConfigFile(file, { named: opts.configFile !== undefined });
        return resolveSettings({ ...(loaded ? { file: loaded } : {}), flags: given, env });
      };
      const settings = await read();
      if (opts.validate) {
        process.stdout.write(`configuration OK${settings.file ? ` (${settings.file})` : ' (no configuration file; flags and defaults)'}\n`);
      } else {
        await runDaemon(optionsFromSettings(settings), read);
      }
    } catch (err) {
      process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    }
    // Stopped cleanly: do not wait for stray handles of a service to let the process end.
    process.exit(0);
  },
);

daemon
  .command('install-service')
  .description('install berth.service and berth.socket in /etc/systemd/system and create the group berth of the API socket')
  .option('--prefix <dir>', 'install under DIR instead of / (DIR/etc/systemd/system, DIR/etc/group)')
  .option('--bin <path>', 'the berth command the unit runs (default: this one)')
  .action(async (opts: { prefix?: string; bin?: string }) => {
    try {
      const { installService } = await import('./systemd/install.ts');
      await installService(opts);
    } catch (err) {
      process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    }
  });

await program.parseAsync(process.argv);
