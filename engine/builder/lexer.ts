// Dockerfile text → logical instructions, following Docker's parser (moby/buildkit
// frontend/dockerfile/parser): parser directives at the top (`# escape=`, `# syntax=`, `# check=`),
// comments, line continuations (the escape character ending a line; comment and empty lines inside
// a continuation are skipped), and heredocs (`<<EOF`, `<<-EOF`, `<<"EOF"`) for RUN, COPY and ADD.
// Every instruction keeps its 1-based line and column so later errors can point at it.
import { DockerfileError } from './errors.ts';
import { splitWords } from './words.ts';

export interface Heredoc {
  name: string;
  content: string;
  /** Unquoted terminator: the content is expanded (variables) where Docker expands it. */
  expand: boolean;
  /** `<<-`: leading tabs stripped from the content and terminator. */
  chomp: boolean;
  /** File descriptor before `<<` (e.g. `3<<EOF`), when given. */
  fd?: number;
}

export interface RawInstruction {
  /** Upper-case keyword ("RUN"). */
  keyword: string;
  /** The text after the keyword, continuations joined, leading whitespace removed (flags included). */
  rest: string;
  line: number;
  col: number;
  /** Last source line of the instruction (continuations and heredocs included). */
  endLine: number;
  heredocs: Heredoc[];
  /** The logical line as written (keyword and rest). */
  original: string;
}

export interface Directives {
  escape: string;
  syntax?: string;
  check?: string;
}

export interface LexResult {
  directives: Directives;
  instructions: RawInstruction[];
}

const DIRECTIVE = /^#[ \t]*([a-zA-Z][a-zA-Z0-9]*)[ \t]*=[ \t]*(.+?)[ \t]*$/;
const KNOWN_DIRECTIVES = new Set(['escape', 'syntax', 'check']);
const HEREDOC_INSTRUCTIONS = new Set(['RUN', 'COPY', 'ADD']);
const HEREDOC_WORD = /^(\d*)<<(-?)(.*)$/;

export function lex(text: string, file = 'Dockerfile'): LexResult {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  // A final newline does not start another (empty) line.
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const directives: Directives = { escape: '\\' };
  const seen = new Set<string>();
  let i = 0;
  for (; i < lines.length; i++) {
    const m = DIRECTIVE.exec(lines[i]!);
    if (!m) break;
    const name = m[1]!.toLowerCase();
    const value = m[2]!;
    if (!KNOWN_DIRECTIVES.has(name)) break; // an unknown directive is a comment, and ends the directives
    if (seen.has(name)) throw new DockerfileError({ file, line: i + 1, col: 1 }, undefined, `only one ${name} parser directive can be used`);
    seen.add(name);
    if (name === 'escape') {
      if (value !== '\\' && value !== '`') throw new DockerfileError({ file, line: i + 1, col: 1 }, undefined, `invalid escape token '${value}' does not match \` or \\`);
      directives.escape = value;
    } else if (name === 'syntax') directives.syntax = value;
    else directives.check = value;
  }

  const esc = directives.escape.replace(/[\\`]/g, '\\$&');
  const continuation = new RegExp(`${esc}[ \\t]*$`);
  const isComment = (l: string) => /^[ \t]*#/.test(l);
  const instructions: RawInstruction[] = [];
  while (i < lines.length) {
    const first = lines[i]!;
    const startLine = ++i;
    if (isComment(first) || first.trim() === '') continue;
    const col = first.length - first.trimStart().length + 1;
    let line = first.trimStart();
    let ended = !continuation.test(line);
    if (!ended) line = line.replace(continuation, '');
    while (!ended && i < lines.length) {
      const next = lines[i++]!;
      if (isComment(next) || next.trim() === '') continue;
      ended = !continuation.test(next);
      line += ended ? next : next.replace(continuation, '');
    }
    const m = /^(\S+)\s*([\s\S]*)$/.exec(line.trimEnd())!;
    const keyword = m[1]!.toUpperCase();
    const rest = m[2]!;
    const heredocs: Heredoc[] = [];
    if (HEREDOC_INSTRUCTIONS.has(keyword) && rest.includes('<<')) {
      for (const h of findHeredocs(rest, directives.escape)) {
        let content = '';
        let terminated = false;
        while (i < lines.length) {
          const l = lines[i++]!;
          const candidate = h.chomp ? l.replace(/^\t+/, '') : l;
          if (candidate === h.name) {
            terminated = true;
            break;
          }
          content += (h.chomp ? l.replace(/^\t+/, '') : l) + '\n';
        }
        if (!terminated) throw new DockerfileError({ file, line: startLine, col }, keyword, `unterminated heredoc: no line "${h.name}" ends the heredoc started here`);
        heredocs.push({ ...h, content });
      }
    }
    instructions.push({ keyword, rest, line: startLine, col, endLine: i, heredocs, original: line.trimEnd() });
  }
  return { directives, instructions };
}

function findHeredocs(rest: string, escape: string): Array<Omit<Heredoc, 'content'>> {
  const out: Array<Omit<Heredoc, 'content'>> = [];
  for (const word of splitWords(rest, escape)) {
    const m = HEREDOC_WORD.exec(word);
    if (!m) continue;
    let name = m[3]!;
    let expand = true;
    const q = /^(['"])(.*)\1$/.exec(name);
    if (q) {
      name = q[2]!;
      expand = false;
    }
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name)) continue;
    out.push({ name, expand, chomp: m[2] === '-', ...(m[1] ? { fd: Number(m[1]) } : {}) });
  }
  return out;
}
