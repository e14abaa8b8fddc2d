// A Dockerfile parsed into its global ARGs and its stages (FROM … up to the next FROM).
import { DockerfileError } from './errors.ts';
import { parseCommand, type Command } from './instructions.ts';
import { lex, type Directives } from './lexer.ts';

export type FromCommand = Extract<Command, { keyword: 'FROM' }>;
export type ArgCommand = Extract<Command, { keyword: 'ARG' }>;

export interface Stage {
  index: number;
  /** `AS name`, lower-cased. */
  name?: string;
  from: FromCommand;
  commands: Command[];
}

export interface Dockerfile {
  file: string;
  directives: Directives;
  /** ARGs before the first FROM: usable in FROM lines; a stage must re-declare them to use them. */
  metaArgs: ArgCommand[];
  stages: Stage[];
}

export function parseDockerfile(text: string, file = 'Dockerfile'): Dockerfile {
  const { directives, instructions } = lex(text, file);
  if (instructions.length === 0) throw new DockerfileError({ file, line: 1, col: 1 }, undefined, 'the Dockerfile has no instructions; it needs at least a FROM');
  const metaArgs: ArgCommand[] = [];
  const stages: Stage[] = [];
  const names = new Map<string, number>();
  for (const raw of instructions) {
    const cmd = parseCommand(raw, file, directives.escape);
    if (cmd.keyword === 'FROM') {
      if (cmd.stageName !== undefined) {
        const prev = names.get(cmd.stageName);
        if (prev !== undefined) throw new DockerfileError({ file, line: cmd.line, col: cmd.col }, 'FROM', `duplicate stage name "${cmd.stageName}" (first used on line ${prev})`);
        names.set(cmd.stageName, cmd.line);
      }
      stages.push({ index: stages.length, ...(cmd.stageName ? { name: cmd.stageName } : {}), from: cmd, commands: [] });
    } else if (stages.length === 0) {
      if (cmd.keyword !== 'ARG') throw new DockerfileError({ file, line: cmd.line, col: cmd.col }, cmd.keyword, 'no build stage in current context: only ARG may come before the first FROM');
      metaArgs.push(cmd);
    } else stages[stages.length - 1]!.commands.push(cmd);
  }
  if (stages.length === 0) throw new DockerfileError({ file, line: instructions[instructions.length - 1]!.line, col: 1 }, undefined, 'the Dockerfile has no FROM instruction');
  return { file, directives, metaArgs, stages };
}
