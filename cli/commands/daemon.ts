// `berth version`: client and daemon versions; `berth daemon` is named in the help (server/main.ts runs it).
import type { Command } from 'commander';
import { action, clientFor } from '../action.ts';

export function register(program: Command): void {
  // `berth daemon` runs from server/main.ts (bin/berth hands it there); it is listed here for --help.
  program.addHelpText('after', '\nThe daemon:\n  daemon [options]  run the berth daemon in the foreground (see `berth daemon --help`)\n');

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
