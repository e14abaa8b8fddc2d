// Logical instructions → typed commands, checked the way Docker checks them at parse time (argument
// counts, JSON forms, flags). Variables are not substituted here: that needs the build state
// (ARG/ENV in scope at that step), so commands keep their raw words and the dispatcher expands them.
import { DockerfileError } from './errors.ts';
import type { Heredoc, RawInstruction } from './lexer.ts';
import { splitWords } from './words.ts';
import type { Location } from '../../specs/api/common.ts';

export type CommandForm = { kind: 'exec'; args: string[] } | { kind: 'shell'; cmd: string };

interface Base {
  line: number;
  col: number;
  endLine: number;
  /** The instruction as written (for history and the cache key, before substitution). */
  original: string;
  /** Raw flag values (quotes kept; expanded by the dispatcher). */
  flags: Record<string, string>;
}

export type Command =
  | (Base & { keyword: 'FROM'; image: string; stageName?: string })
  | (Base & { keyword: 'RUN'; form: CommandForm; heredocs: Heredoc[] })
  | (Base & { keyword: 'CMD' | 'ENTRYPOINT'; form: CommandForm })
  | (Base & { keyword: 'SHELL'; args: string[] })
  | (Base & { keyword: 'ENV' | 'LABEL'; pairs: Array<[string, string]> })
  | (Base & { keyword: 'ARG'; args: Array<{ name: string; value?: string }> })
  | (Base & { keyword: 'EXPOSE' | 'WORKDIR' | 'USER' | 'STOPSIGNAL' | 'MAINTAINER'; text: string })
  | (Base & { keyword: 'VOLUME'; json?: string[]; text: string })
  | (Base & { keyword: 'COPY' | 'ADD'; sources: string[]; dest: string; heredocs: Heredoc[] })
  | (Base & { keyword: 'HEALTHCHECK'; none: boolean; test?: CommandForm })
  | (Base & { keyword: 'ONBUILD'; trigger: Command; triggerText: string });

export type Keyword = Command['keyword'];

const FLAGS: Record<string, string[]> = {
  FROM: ['platform'],
  RUN: ['network', 'mount', 'security'],
  COPY: ['from', 'chown', 'chmod', 'link', 'parents', 'exclude'],
  ADD: ['chown', 'chmod', 'link', 'keep-git-dir', 'checksum', 'exclude'],
  HEALTHCHECK: ['interval', 'timeout', 'start-period', 'start-interval', 'retries'],
};
/** Flags Docker knows that change what a build does in ways berth does not implement: refused, not ignored. */
const UNSUPPORTED_FLAGS = new Set(['mount', 'security', 'parents', 'exclude', 'keep-git-dir']);

const STAGE_NAME = /^[a-z][a-z0-9-_.]*$/;

export function parseCommand(raw: RawInstruction, file: string, escape: string): Command {
  const loc: Location = { file, line: raw.line, col: raw.col };
  const fail = (msg: string): never => {
    throw new DockerfileError(loc, raw.keyword, msg);
  };
  const { flags, rest } = extractFlags(raw.rest, fail);
  const allowed = FLAGS[raw.keyword] ?? [];
  for (const f of Object.keys(flags)) {
    if (!allowed.includes(f)) fail(`unknown flag: --${f}`);
    if (UNSUPPORTED_FLAGS.has(f)) fail(`--${f} is not supported by berth's builder; remove it`);
  }
  const base: Base = { line: raw.line, col: raw.col, endLine: raw.endLine, original: raw.original, flags };
  const words = () => splitWords(rest, escape);
  switch (raw.keyword) {
    case 'FROM': {
      const w = words();
      if (w.length !== 1 && w.length !== 3) fail('requires either one or three arguments (FROM image [AS name])');
      if (w.length === 3 && w[1]!.toUpperCase() !== 'AS') fail(`expected "AS" as the second argument, found "${w[1]}"`);
      const name = w.length === 3 ? w[2]!.toLowerCase() : undefined;
      if (name !== undefined && !STAGE_NAME.test(name)) fail(`invalid name for build stage: "${w[2]}", name can't start with a number or contain symbols`);
      return { ...base, keyword: 'FROM', image: w[0]!, ...(name ? { stageName: name } : {}) };
    }
    case 'RUN': {
      if (!rest.trim() && raw.heredocs.length === 0) fail('requires at least one argument');
      if (flags.network !== undefined && !['default', 'none', 'host'].includes(unquote(flags.network))) fail(`--network must be default, none or host, not "${flags.network}"`);
      return { ...base, keyword: 'RUN', form: commandForm(rest), heredocs: raw.heredocs };
    }
    case 'CMD':
    case 'ENTRYPOINT':
      if (!rest.trim()) fail('requires at least one argument');
      return { ...base, keyword: raw.keyword, form: commandForm(rest) };
    case 'SHELL': {
      const form = commandForm(rest);
      if (form.kind !== 'exec') fail('requires the arguments to be in JSON form, e.g. SHELL ["/bin/sh", "-c"]');
      if (form.kind === 'exec' && form.args.length === 0) fail('requires at least one argument');
      return { ...base, keyword: 'SHELL', args: (form as { args: string[] }).args };
    }
    case 'ENV':
    case 'LABEL':
      return { ...base, keyword: raw.keyword, pairs: nameValues(raw.keyword, words(), rest, fail) };
    case 'ARG': {
      const w = words();
      if (w.length === 0) fail('requires at least one argument');
      const args = w.map((word) => {
        const eq = word.indexOf('=');
        const name = eq < 0 ? word : word.slice(0, eq);
        if (!name) fail(`"${word}": an ARG name can not be blank`);
        return eq < 0 ? { name } : { name, value: word.slice(eq + 1) };
      });
      return { ...base, keyword: 'ARG', args };
    }
    case 'EXPOSE':
    case 'WORKDIR':
    case 'USER':
    case 'STOPSIGNAL':
    case 'MAINTAINER': {
      const w = words();
      if (w.length === 0) fail('requires at least one argument');
      if (raw.keyword !== 'EXPOSE' && raw.keyword !== 'MAINTAINER' && w.length !== 1) fail(`requires exactly one argument, found ${w.length}`);
      return { ...base, keyword: raw.keyword, text: rest.trim() };
    }
    case 'VOLUME': {
      const form = commandForm(rest);
      if (form.kind === 'exec') {
        if (form.args.length === 0) fail('requires at least one argument');
        return { ...base, keyword: 'VOLUME', json: form.args, text: rest.trim() };
      }
      if (!rest.trim()) fail('requires at least one argument');
      return { ...base, keyword: 'VOLUME', text: rest.trim() };
    }
    case 'COPY':
    case 'ADD': {
      const form = commandForm(rest);
      const args = form.kind === 'exec' ? form.args : rest.trim().split(/\s+/).filter(Boolean);
      if (args.length < 2) fail('requires at least two arguments: a source and a destination');
      if (raw.keyword === 'ADD' && flags.from !== undefined) fail('--from is only for COPY');
      return { ...base, keyword: raw.keyword, sources: args.slice(0, -1), dest: args[args.length - 1]!, heredocs: raw.heredocs };
    }
    case 'HEALTHCHECK': {
      const w = rest.trim();
      if (!w) fail('requires an argument: NONE or CMD ...');
      const m = /^(\S+)\s*([\s\S]*)$/.exec(w)!;
      const kind = m[1]!.toUpperCase();
      if (kind === 'NONE') {
        if (m[2] || Object.keys(flags).length) fail('NONE takes no other arguments or flags');
        return { ...base, keyword: 'HEALTHCHECK', none: true };
      }
      if (kind !== 'CMD') fail(`unknown type "${m[1]}": must be NONE or CMD`);
      if (!m[2]!.trim()) fail('CMD requires a command');
      return { ...base, keyword: 'HEALTHCHECK', none: false, test: commandForm(m[2]!) };
    }
    case 'ONBUILD': {
      const m = /^(\S+)\s*([\s\S]*)$/.exec(rest.trim());
      if (!m) fail('requires an instruction to run later');
      const inner = m![1]!.toUpperCase();
      if (inner === 'ONBUILD') fail('ONBUILD ONBUILD is not allowed');
      if (inner === 'FROM' || inner === 'MAINTAINER') fail(`${inner} is not allowed as an ONBUILD trigger`);
      const trigger = parseCommand({ ...raw, keyword: inner, rest: m![2]!, original: rest.trim(), heredocs: [] }, file, escape);
      return { ...base, keyword: 'ONBUILD', trigger, triggerText: rest.trim() };
    }
    default:
      return fail(`unknown instruction: ${raw.keyword}${suggest(raw.keyword)}`);
  }
}

const KEYWORDS = ['FROM', 'RUN', 'CMD', 'ENTRYPOINT', 'SHELL', 'ENV', 'LABEL', 'ARG', 'EXPOSE', 'WORKDIR', 'USER', 'STOPSIGNAL', 'MAINTAINER', 'VOLUME', 'COPY', 'ADD', 'HEALTHCHECK', 'ONBUILD'];

function suggest(word: string): string {
  let best: string | undefined;
  let bestD = 3;
  for (const k of KEYWORDS) {
    const d = distance(word, k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best ? ` (did you mean ${best}?)` : '';
}

function distance(a: string, b: string): number {
  const dp = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) dp[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      dp[i]![j] = Math.min(dp[i - 1]![j]! + 1, dp[i]![j - 1]! + 1, dp[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  return dp[a.length]![b.length]!;
}

/** `--name=value` / `--name` words at the start of the arguments. */
function extractFlags(rest: string, fail: (m: string) => never): { flags: Record<string, string>; rest: string } {
  const flags: Record<string, string> = {};
  let r = rest;
  for (;;) {
    const m = /^--([A-Za-z0-9-]*)(?:=("[^"]*"|'[^']*'|\S*))?(?:\s+|$)/.exec(r);
    if (!m) break;
    if (m[0].trim() === '--') break;
    if (!m[1]) fail(`malformed flag "${m[0].trim()}"`);
    if (m[1]! in flags) fail(`duplicate flag --${m[1]}`);
    flags[m[1]!] = m[2] ?? 'true';
    r = r.slice(m[0].length);
  }
  return { flags, rest: r };
}

/** Docker's "maybe JSON": a JSON array of strings is the exec form, anything else the shell form. */
export function commandForm(rest: string): CommandForm {
  const t = rest.trim();
  if (t.startsWith('[')) {
    try {
      const v = JSON.parse(t) as unknown;
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return { kind: 'exec', args: v as string[] };
    } catch {
      // not JSON: the shell form, as Docker treats it
    }
  }
  return { kind: 'shell', cmd: t };
}

function unquote(s: string): string {
  return s.replace(/^(["'])(.*)\1$/, '$2');
}

/** ENV/LABEL arguments: `k=v k2="v 2"` or the legacy `ENV k some value`. */
function nameValues(keyword: string, words: string[], rest: string, fail: (m: string) => never): Array<[string, string]> {
  if (words.length === 0) fail('requires at least one argument');
  if (!words[0]!.includes('=')) {
    if (keyword === 'LABEL') fail(`can't find = in "${words[0]}"; must be of the form name=value`);
    if (words.length < 2) fail(`needs a value: ENV ${words[0]} value, or ENV ${words[0]}=value`);
    // The legacy form: the value is the rest of the line as written (spacing kept).
    const m = /^(\S+)\s+([\s\S]*)$/.exec(rest.trim())!;
    return [[m[1]!, m[2]!]];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq < 0) fail(`syntax error - can't find = in "${w}"; must be of the form name=value`);
    if (eq === 0) fail(`${keyword} names can not be blank ("${w}")`);
    return [w.slice(0, eq), w.slice(eq + 1)] as [string, string];
  });
}
