// The `berth` command, bundled into dist/cli.cjs (bin/cli-bundle.cjs). bin/berth answers
// `--version` itself; here only commander and the command modules' register() functions load, and
// each action imports its work lazily (in the bundle, a lazy import is a module not evaluated until
// the verb needs it).
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

async function main(args: string[]): Promise<void> {
  const { rewriteGroups } = await import('./groups.ts');
  await (await buildProgram()).parseAsync([...process.argv.slice(0, 2), ...rewriteGroups(args)]);
}

// No top-level await: the bundle is a CommonJS script (V8's code cache takes only scripts).
main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`error: ${err instanceof Error && err.stack ? err.stack : String(err)}\n`);
  process.exit(1);
});
