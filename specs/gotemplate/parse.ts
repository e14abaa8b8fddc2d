// Go's text/template language, parsed: what `docker inspect -f` and every `--format` take. Written
// here because no maintained npm package implements Go's templates with the pieces Docker users
// rely on (pipelines, variables, range/with/if-else chains, trim markers, Go's error texts); the
// engine is small and is checked against the outputs Docker documents (test/specs/gotemplate.test.ts).
// Not supported (an error says so): define, template, block.
import { InvalidArgumentError } from '../errdefs.ts';

export type Arg =
  | { t: 'dot' }
  | { t: 'field'; names: string[] }
  | { t: 'var'; name: string; names: string[] }
  | { t: 'ident'; name: string }
  | { t: 'str'; value: string }
  | { t: 'num'; value: number }
  | { t: 'bool'; value: boolean }
  | { t: 'nil' }
  | { t: 'pipe'; pipe: Pipe; names: string[] };

export interface Command {
  args: Arg[];
  /** Where it starts (1-based line:col), and its text, for Go's "executing … at <…>" errors. */
  at: string;
  text: string;
}

export interface Pipe {
  decl: string[];
  assign: boolean;
  cmds: Command[];
}

export type Node =
  | { t: 'text'; text: string }
  | { t: 'action'; pipe: Pipe }
  | ControlNode
  | { t: 'break' | 'continue' };

export interface ControlNode {
  t: 'if' | 'with' | 'range';
  pipe: Pipe;
  list: Node[];
  else: Node[] | undefined;
}

/** A template's parse or execution error, worded as Go's ("template: :1:9: …"). */
export class TemplateError extends InvalidArgumentError {}

interface Tok {
  k: 'ident' | 'field' | 'var' | 'str' | 'num' | 'char' | 'op' | 'end' | 'bool' | 'nil' | 'dot';
  v: string;
  pos: number;
}

const KEYWORDS = new Set(['if', 'else', 'end', 'range', 'with', 'break', 'continue', 'define', 'template', 'block']);

class Lexer {
  readonly toks: Tok[] = [];
  constructor(
    readonly src: string,
    start: number,
    readonly end: number,
    readonly fail: (pos: number, msg: string) => never,
  ) {
    let i = start;
    const s = src;
    while (i < end) {
      const c = s[i]!;
      if (/\s/.test(c)) i++;
      else if (c === '|' || c === '(' || c === ')' || c === ',' || c === '=') this.toks.push({ k: 'op', v: c, pos: i++ });
      else if (c === ':' && s[i + 1] === '=') (this.toks.push({ k: 'op', v: ':=', pos: i }), (i += 2));
      else if (c === '"') {
        let j = i + 1;
        while (j < end && s[j] !== '"') j += s[j] === '\\' ? 2 : 1;
        if (j >= end) fail(i, 'unterminated quoted string');
        this.toks.push({ k: 'str', v: unquote(s.slice(i, j + 1), (m) => fail(i, m)), pos: i });
        i = j + 1;
      } else if (c === '`') {
        const j = s.indexOf('`', i + 1);
        if (j < 0 || j >= end) fail(i, 'unterminated raw quoted string');
        this.toks.push({ k: 'str', v: s.slice(i + 1, j), pos: i });
        i = j + 1;
      } else if (c === "'") {
        const m = /^'(\\.|[^\\'])'/.exec(s.slice(i, end));
        if (!m) fail(i, 'unterminated character constant');
        this.toks.push({ k: 'num', v: String(unquote(`"${m![1]}"`, (e) => fail(i, e)).codePointAt(0)), pos: i });
        i += m![0].length;
      } else if (c === '.' && !/[0-9]/.test(s[i + 1] ?? '')) {
        const m = /^\.[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(i, end));
        if (m) (this.toks.push({ k: 'field', v: m[0].slice(1), pos: i }), (i += m[0].length));
        else this.toks.push({ k: 'dot', v: '.', pos: i++ });
      } else if (c === '$') {
        const m = /^\$[A-Za-z0-9_]*/.exec(s.slice(i, end))!;
        this.toks.push({ k: 'var', v: m[0], pos: i });
        i += m[0].length;
      } else if (/[-+0-9.]/.test(c)) {
        const m = /^[-+]?(0x[0-9a-fA-F_]+|[0-9_]*\.?[0-9_]+([eE][-+]?[0-9]+)?)/.exec(s.slice(i, end));
        if (!m || !m[0]) fail(i, `unexpected "${c}" in operand`);
        const n = Number(m![0].replaceAll('_', ''));
        if (Number.isNaN(n)) fail(i, `bad number syntax: "${m![0]}"`);
        this.toks.push({ k: 'num', v: String(n), pos: i });
        i += m![0].length;
      } else if (/[A-Za-z_]/.test(c)) {
        const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(i, end))!;
        const w = m[0];
        this.toks.push({ k: w === 'true' || w === 'false' ? 'bool' : w === 'nil' ? 'nil' : 'ident', v: w, pos: i });
        i += w.length;
      } else fail(i, `unexpected "${c}" in command`);
    }
    this.toks.push({ k: 'end', v: '', pos: end });
  }
}

function unquote(lit: string, fail: (m: string) => never): string {
  try {
    return JSON.parse(lit.replace(/\\([abfv]|x[0-9a-fA-F]{2}|[0-7]{3}|')/g, (m, e: string) => {
      const code = e.length === 1 ? ({ a: 7, b: 8, f: 12, v: 11, "'": 39 } as Record<string, number>)[e]! : e[0] === 'x' ? parseInt(e.slice(1), 16) : parseInt(e, 8);
      return `\\u${code.toString(16).padStart(4, '0')}`;
    })) as string;
  } catch {
    return fail(`malformed quoted string: ${lit}`);
  }
}

/** Parses a template; a TemplateError (an InvalidArgumentError) says where and what, as Go does. */
export function parseTemplate(src: string, name = ''): Node[] {
  const lineCol = (pos: number) => {
    const before = src.slice(0, pos).split('\n');
    return `${before.length}:${before.at(-1)!.length}`;
  };
  const fail = (pos: number, msg: string): never => {
    throw new TemplateError(`template: ${name}:${lineCol(pos).split(':')[0]}: ${msg}`);
  };
  // Split into text and actions, applying the trim markers.
  const items: Array<{ text: string } | { start: number; end: number }> = [];
  let i = 0;
  let trimNext = false;
  while (i <= src.length) {
    const open = src.indexOf('{{', i);
    let text = src.slice(i, open < 0 ? src.length : open);
    if (trimNext) text = text.replace(/^\s+/, '');
    if (open < 0) {
      if (text) items.push({ text });
      break;
    }
    let start = open + 2;
    if (/^-\s/.test(src.slice(start, start + 2))) (text = text.replace(/\s+$/, '')), (start += 2);
    if (text) items.push({ text });
    if (src.startsWith('/*', start)) {
      const close = src.indexOf('*/', start);
      if (close < 0) fail(open, 'unclosed comment');
      let j = close + 2;
      const trim = /^\s-}}/.test(src.slice(j, j + 4));
      if (trim) j += 2;
      if (!src.startsWith('}}', j)) fail(open, 'comment ends before closing delimiter');
      trimNext = trim;
      i = j + 2;
      continue;
    }
    // The closing delimiter, outside quoted strings.
    let j = start;
    let quote = '';
    for (; j < src.length; j++) {
      const c = src[j];
      if (quote) {
        if (c === '\\' && quote === '"') j++;
        else if (c === quote) quote = '';
      } else if (c === '"' || c === '`' || c === "'") quote = c;
      else if (src.startsWith('}}', j)) break;
    }
    if (j >= src.length) fail(open, 'unclosed action');
    trimNext = /\s-$/.test(src.slice(j - 2, j));
    items.push({ start, end: trimNext ? j - 2 : j });
    i = j + 2;
  }

  let k = 0;
  const parseList = (stop: Set<string>): { nodes: Node[]; ended: string; elseLex?: Lexer } => {
    const nodes: Node[] = [];
    while (k < items.length) {
      const it = items[k++]!;
      if ('text' in it) {
        nodes.push({ t: 'text', text: it.text });
        continue;
      }
      const lx = new Lexer(src, it.start, it.end, fail);
      const first = lx.toks[0]!;
      if (first.k === 'end') fail(it.start, 'missing value for command');
      const kw = first.k === 'ident' && KEYWORDS.has(first.v) ? first.v : undefined;
      if (kw === 'end' || kw === 'else') {
        if (!stop.has(kw)) fail(first.pos, `unexpected {{${kw}}}`);
        return { nodes, ended: kw, elseLex: lx };
      }
      if (kw === 'define' || kw === 'template' || kw === 'block') fail(first.pos, `{{${kw}}} is not supported by berth's templates`);
      if (kw === 'break' || kw === 'continue') {
        nodes.push({ t: kw });
        continue;
      }
      if (kw === 'if' || kw === 'with' || kw === 'range') nodes.push(parseControl(kw, lx, 1));
      else nodes.push({ t: 'action', pipe: parsePipe(lx, 0, false) });
    }
    if (stop.size) fail(src.length, 'unexpected EOF');
    return { nodes, ended: 'eof' };
  };

  const parseControl = (kw: 'if' | 'with' | 'range', lx: Lexer, from: number): Node => {
    const pipe = parsePipe(lx, from, kw === 'range');
    const body = parseList(new Set(['end', 'else']));
    let elseNodes: Node[] | undefined;
    if (body.ended === 'else') {
      const el = body.elseLex!;
      const next = el.toks[1]!;
      if (next.k === 'ident' && (next.v === 'if' || next.v === 'with') && kw !== 'range') {
        // {{else if …}} / {{else with …}}: a nested control that shares this one's {{end}}.
        elseNodes = [parseControl(next.v as 'if' | 'with', el, 2)];
      } else {
        if (next.k !== 'end') fail(next.pos, `unexpected "${next.v}" in else`);
        const rest = parseList(new Set(['end']));
        elseNodes = rest.nodes;
      }
    }
    return { t: kw, pipe, list: body.nodes, else: elseNodes };
  };

  const parsePipe = (lx: Lexer, from: number, allowTwoVars: boolean): Pipe => {
    let p = from;
    const toks = lx.toks;
    const decl: string[] = [];
    let assign = false;
    // $x := …, $x = …, and in range $i, $e := …
    const isDecl = (q: number) => toks[q]!.k === 'var' && toks[q + 1]?.k === 'op' && [':=', '=', ','].includes(toks[q + 1]!.v);
    if (isDecl(p)) {
      decl.push(toks[p]!.v);
      if (toks[p + 1]!.v === ',') {
        if (!allowTwoVars || toks[p + 2]?.k !== 'var') fail(toks[p]!.pos, 'too many declarations in command');
        decl.push(toks[p + 2]!.v);
        p += 2;
      }
      if (!toks[p + 1] || (toks[p + 1]!.v !== ':=' && toks[p + 1]!.v !== '=')) fail(toks[p]!.pos, 'missing := in declaration');
      assign = toks[p + 1]!.v === '=';
      p += 2;
    }
    const cmds: Command[] = [];
    /** The next token is a field written right after this one (`.A.B`, `$x.A`, `(…).A`): a chain. */
    const chained = () => {
      const t = toks[p]!;
      const end = t.pos + (t.k === 'field' ? t.v.length + 1 : t.v.length);
      return toks[p + 1]!.k === 'field' && toks[p + 1]!.pos === end;
    };
    const parseOperand = (): Arg | undefined => {
      const t = toks[p]!;
      let a: Arg;
      switch (t.k) {
        case 'dot': a = { t: 'dot' }; break;
        case 'field': {
          const names = [t.v];
          while (chained()) names.push(toks[++p]!.v);
          a = { t: 'field', names };
          break;
        }
        case 'var': {
          const names: string[] = [];
          while (chained()) names.push(toks[++p]!.v);
          a = { t: 'var', name: t.v, names };
          break;
        }
        case 'ident': if (KEYWORDS.has(t.v)) fail(t.pos, `unexpected <${t.v}> in command`); a = { t: 'ident', name: t.v }; break;
        case 'str': a = { t: 'str', value: t.v }; break;
        case 'num': a = { t: 'num', value: Number(t.v) }; break;
        case 'bool': a = { t: 'bool', value: t.v === 'true' }; break;
        case 'nil': a = { t: 'nil' }; break;
        case 'op':
          if (t.v !== '(') return undefined;
          {
            p++;
            const inner = pipeline(')');
            const names: string[] = [];
            while (chained()) names.push(toks[++p]!.v);
            a = { t: 'pipe', pipe: inner, names };
          }
          break;
        default:
          return undefined;
      }
      p++;
      return a;
    };
    const pipeline = (close: string): Pipe => {
      const inner: Command[] = [];
      for (;;) {
        const start = toks[p]!.pos;
        const args: Arg[] = [];
        for (let a = parseOperand(); a; a = parseOperand()) args.push(a);
        if (!args.length) fail(toks[p]!.pos, toks[p]!.k === 'end' ? 'missing value for command' : `unexpected "${toks[p]!.v}" in operand`);
        inner.push({ args, at: lineCol(start), text: src.slice(start, toks[p]!.pos).trim() });
        const t = toks[p]!;
        if (t.k === 'op' && t.v === '|') {
          p++;
          continue;
        }
        if (close === ')' ? t.k === 'op' && t.v === ')' : t.k === 'end') break;
        fail(t.pos, `unexpected "${t.v || 'end'}" in ${close === ')' ? 'parenthesized pipeline' : 'command'}`);
      }
      return { decl: [], assign: false, cmds: inner };
    };
    cmds.push(...pipeline('end').cmds);
    return { decl, assign, cmds };
  };

  return parseList(new Set()).nodes;
}
