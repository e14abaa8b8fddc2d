// The `berth` command. Start-up is kept cheap: `--version` answers before anything else loads;
// otherwise only commander and the command modules' register() functions load here, and each
// action imports its work lazily.
import type { Command } from 'commander';
import { berthVersion as version } from '../specs/version.ts';

export async function buildProgram(): Promise<Command> {
  const [{ Command }, { commandModules }] = await Promise.all([import('commander'), import('./commands/index.ts')]);
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

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
  // The same answer commander would give, without loading it and every command module.
  process.stdout.write(`${version()}\n`);
} else {
  const { rewriteGroups } = await import('./groups.ts');
  await (await buildProgram()).parseAsync([...process.argv.slice(0, 2), ...rewriteGroups(args)]);
}
