// The `berth` command, bundled into dist/cli.cjs (bin/cli-bundle.cjs). bin/berth answers
// `--version` itself; here only commander and the command modules' register() functions load, and
// each action imports its work lazily (in the bundle, a lazy import is a module not evaluated until
// the verb needs it).
import type { Command } from 'commander';
import { berthVersion as version } from '../specs/version.ts';

/**
 * The program with every command, or, given the verb, only that verb's command: making the options
 * of sixty commands was the largest part of a verb's start-up after Node's own (its CPU profile).
 * Help, and a verb that is not a command (for commander's suggestion), get every command.
 */
export async function buildProgram(verb?: string): Promise<Command> {
  const [{ Command }, { commandModules }] = await Promise.all([import('commander'), import('./commands/index.ts')]);
  const make = () =>
    new Command('berth')
      .description('a container engine for one Linux host, driven the Kubernetes way')
      .version(version(), '-v, --version', 'print the client version')
      .option('--socket <path>', 'daemon API socket (or host:port); default $BERTH_SOCKET or /run/berth/berth.sock')
      .showHelpAfterError('(run with --help for usage)')
      // As Docker: global options before the verb, so that `run IMAGE sh -c …` passes -c to the container.
      .enablePositionalOptions()
      .configureOutput({ outputError: (str, write) => write(str) });
  if (verb !== undefined && !verb.startsWith('-') && verb !== 'help') {
    const program = make();
    const view = onlyCommand(program, verb);
    for (const m of commandModules) m.register(view.program);
    if (view.matched()) return program;
  }
  const program = make();
  for (const m of commandModules) m.register(program);
  return program;
}

/**
 * `program` as register() sees it, where `command(name …)` makes a real command only for `verb`;
 * the others go to a sink that takes any chain of calls and makes nothing.
 */
function onlyCommand(program: Command, verb: string): { program: Command; matched(): boolean } {
  let matched = false;
  const sink: unknown = new Proxy(function () {}, { get: () => sink, apply: () => sink });
  const view = new Proxy(program, {
    get(target, key) {
      if (key === 'command') {
        return (nameAndArgs: string, ...rest: unknown[]) => {
          if (nameAndArgs.split(/\s+/)[0] !== verb) return sink;
          matched = true;
          return (target.command as (...a: unknown[]) => Command)(nameAndArgs, ...rest);
        };
      }
      const v = Reflect.get(target, key, target) as unknown;
      return typeof v === 'function' ? (...a: unknown[]) => {
        const r = (v as (...x: unknown[]) => unknown).apply(target, a);
        return r === target ? view : r;
      } : v;
    },
  });
  return { program: view, matched: () => matched };
}

/** The verb: the first argument that is not the global --socket option. */
function verbOf(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--socket') i++;
    else if (!args[i]!.startsWith('--socket=')) return args[i];
  }
  return undefined;
}

async function main(args: string[]): Promise<void> {
  const { rewriteGroups } = await import('./groups.ts');
  const argv = rewriteGroups(args);
  await (await buildProgram(verbOf(argv))).parseAsync([...process.argv.slice(0, 2), ...argv]);
}

// No top-level await: the bundle is a CommonJS script (V8's code cache takes only scripts).
main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`error: ${err instanceof Error && err.stack ? err.stack : String(err)}\n`);
  process.exit(1);
});
