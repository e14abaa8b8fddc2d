// `berth version`: client and daemon versions; `berth info`: the daemon's settings and their sources; `berth daemon` is named in the help (server/main.ts runs it).
import type { Command } from 'commander';
import type { DaemonInfo } from '../../specs/api/system.ts';
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

  program
    .command('info')
    .description("show the daemon's settings in force, where each came from, and its last configuration reload")
    .option('-o, --output <format>', 'json or yaml')
    .action(
      action(async (opts: { output?: string }, cmd: Command) => {
        const { parseFormat, printData, printTable } = await import('../output.ts');
        const format = parseFormat(opts.output, ['table', 'json', 'yaml']);
        const info = await (await clientFor(cmd)).json<DaemonInfo>('GET', '/v1/info');
        if (format === 'json' || format === 'yaml') return void (await printData(format, info));
        const out = (l: string) => process.stdout.write(`${l}\n`);
        out(`Server Version: ${info.version} (${info.apiVersion})`);
        out(`Data Root: ${info.root}`);
        out(`Configuration File: ${info.configFile ?? '<none>'}`);
        const r = info.lastReload;
        if (r) out(`Last Reload: ${r.at} ${r.applied ? `applied (changed: ${r.changed.join(', ') || 'nothing'})` : `refused: ${r.error}`}`);
        if (r?.needsRestart?.length) out(`Needs A Restart: ${r.needsRestart.join(', ')}`);
        out('');
        const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
        printTable(['KEY', 'VALUE', 'SOURCE', 'WHERE', 'RELOAD'], info.settings.map((s) => [s.key, show(s.value), s.source, s.where ?? '-', s.live ? 'live' : s.pending !== undefined ? `restart: pending ${show(s.pending)}` : 'restart']));
      }),
    );
}
