// The `berth` command. Start-up is kept cheap: only commander and the command modules' register()
// functions load here; each action imports its work lazily.
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { commandModules } from './commands/index.ts';

function version(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'berth' && pkg.version) return pkg.version;
    } catch {
      // next candidate
    }
  }
  return '0.0.0-unknown';
}

export function buildProgram(): Command {
  const program = new Command('berth')
    .description('a container engine for one Linux host, driven the Kubernetes way')
    .version(version(), '-v, --version', 'print the client version')
    .option('--socket <path>', 'daemon API socket (or host:port); default $BERTH_SOCKET or /run/berth/berth.sock')
    .showHelpAfterError('(run with --help for usage)')
    // As Docker: global options before the verb, so that `run IMAGE sh -c …` passes -c to the container.
    .enablePositionalOptions()
    .configureOutput({ outputError: (str, write) => write(str) });
  for (const m of commandModules) m.register(program);
  return program;
}

await buildProgram().parseAsync(process.argv);
