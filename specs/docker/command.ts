// A container's command in Docker's words and Kubernetes', both ways.
//  - Docker: ENTRYPOINT and CMD; `run IMG ARGS` replaces CMD, `--entrypoint X` replaces ENTRYPOINT
//    (and drops CMD), `--entrypoint ""` clears it; arguments are passed verbatim.
//  - Kubernetes: `command` replaces ENTRYPOINT (and drops CMD), `args` replaces CMD; `$(VAR)` in
//    them expands from the container's environment and `$$` is a literal `$`.
// So Docker's arguments become `args` (and `--entrypoint` `command`) with every `$` written `$$`:
// the object means the same thing to berth and to a Kubernetes cluster, and runs the words verbatim.
import { InvalidArgumentError } from '../errdefs.ts';

/** Docker words → Kubernetes words that expand to exactly them. */
export function escapeVars(args: string[]): string[] {
  return args.map((a) => a.replaceAll('$', '$$$$'));
}

/** Kubernetes words → what they run as (variables left as written: they are only known inside). */
export function unescapeVars(args: string[]): string[] {
  return args.map((a) => a.replaceAll('$$', '$'));
}

/** `command`/`args` of a Container spec from `run [--entrypoint E] IMAGE [ARGS...]`. */
export function dockerCommand(entrypoint: string | undefined, args: string[]): { command?: string[]; args?: string[] } {
  if (entrypoint === undefined) return args.length ? { args: escapeVars(args) } : {};
  if (entrypoint === '') {
    // --entrypoint "": no ENTRYPOINT, and CMD is dropped as with any --entrypoint: the arguments are the command.
    if (!args.length) throw new InvalidArgumentError('--entrypoint "" clears the image\'s ENTRYPOINT and CMD: give the command to run after the image');
    return { command: escapeVars(args) };
  }
  return { command: escapeVars([entrypoint]), ...(args.length ? { args: escapeVars(args) } : {}) };
}

/** Docker's Config.Entrypoint and Config.Cmd of a container: its spec over its image's. */
export function dockerEntrypointCmd(
  spec: { command?: string[] | undefined; args?: string[] | undefined },
  image: { Entrypoint?: string[] | null | undefined; Cmd?: string[] | null | undefined },
): { Entrypoint: string[] | null; Cmd: string[] | null } {
  const entrypoint = spec.command ? unescapeVars(spec.command) : (image.Entrypoint ?? null);
  const cmd = spec.args ? unescapeVars(spec.args) : spec.command ? null : (image.Cmd ?? null);
  return { Entrypoint: entrypoint && entrypoint.length ? entrypoint : null, Cmd: cmd && cmd.length ? cmd : null };
}
