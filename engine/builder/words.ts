// Word handling as Docker's Dockerfile frontend does it (moby/buildkit frontend/dockerfile/parser
// parseWords and shell.Lex), written here because its rules are precise and small:
//  - splitWords: a line → words on unquoted whitespace, quotes and escapes kept (for ENV/LABEL/ARG);
//  - expandWord: quotes removed, escapes applied, $VAR ${VAR} ${VAR:-x} ${VAR-x} ${VAR:+x} ${VAR+x}
//    ${VAR:?msg} ${VAR#p} ${VAR##p} ${VAR%p} ${VAR%%p} ${VAR/p/r} ${VAR//p/r} substituted, unset → "";
//  - expandWords: the same, then split on unquoted whitespace (EXPOSE, VOLUME…); a variable's value
//    outside quotes is split too, as a shell would.

/** Thrown for a malformed word; the caller adds the Dockerfile location. */
export class WordError extends Error {}

export type Env = ReadonlyMap<string, string>;

export function splitWords(rest: string, escape: string): string[] {
  const words: string[] = [];
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let quote = '';
  let blankOK = false;
  let cur = '';
  const chars = [...rest];
  for (let i = 0; i <= chars.length; i++) {
    const end = i === chars.length;
    let ch = chars[i] ?? '';
    if (phase === 'spaces') {
      if (end) break;
      if (/\s/.test(ch)) continue;
      phase = 'word';
    }
    if (end) {
      if (blankOK || cur.length > 0) words.push(cur);
      break;
    }
    if (phase === 'word') {
      if (/\s/.test(ch)) {
        phase = 'spaces';
        if (blankOK || cur.length > 0) words.push(cur);
        cur = '';
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = 'quote';
      }
      if (ch === escape) {
        if (i + 1 === chars.length) continue;
        cur += ch;
        ch = chars[++i]!;
      }
      cur += ch;
      continue;
    }
    // in a quote
    if (ch === quote) phase = 'word';
    if (ch === escape && quote !== "'") {
      if (i + 1 === chars.length) {
        phase = 'word';
        continue;
      }
      cur += ch;
      ch = chars[++i]!;
    }
    cur += ch;
  }
  return words;
}

/** Collects words for expandWords: literal whitespace ends a word, quoted text never does. */
class Words {
  words: string[] = [];
  cur = '';
  inWord = false;
  raw(s: string) {
    this.cur += s;
    this.inWord = true;
  }
  text(s: string) {
    for (const ch of s) {
      if (/\s/.test(ch)) this.end();
      else this.raw(ch);
    }
  }
  end() {
    if (this.inWord) this.words.push(this.cur);
    this.cur = '';
    this.inWord = false;
  }
}

class Lexer {
  readonly #s: string[];
  #i = 0;
  constructor(
    src: string,
    readonly escape: string,
    readonly env: Env,
    readonly used: Set<string>,
  ) {
    this.#s = [...src];
  }
  peek(): string | undefined {
    return this.#s[this.#i];
  }
  next(): string | undefined {
    return this.#s[this.#i++];
  }

  /** Processes until one of stop (consumed) or the end; returns the text and the words. */
  process(stop: string[], rawEscapes: boolean, words?: Words): string {
    let out = '';
    for (let ch = this.peek(); ch !== undefined; ch = this.peek()) {
      if (stop.includes(ch)) {
        this.next();
        return out;
      }
      if (ch === "'" || ch === '"' || ch === '$') {
        const tmp = ch === "'" ? this.single() : ch === '"' ? this.double() : this.dollar();
        out += tmp;
        if (ch === '$') words?.text(tmp);
        else words?.raw(tmp);
        continue;
      }
      this.next();
      if (ch === this.escape) {
        if (rawEscapes) out += ch;
        const n = this.next();
        if (n === undefined) break;
        out += n;
        words?.raw(n);
        continue;
      }
      out += ch;
      if (/\s/.test(ch)) words?.end();
      else words?.raw(ch);
    }
    if (stop.length) throw new WordError(`syntax error: missing '${stop[0]}'`);
    return out;
  }

  /** A quoted string from its opening quote to its closing one; `piece` reads the inside, a piece at a time. */
  quoted(quote: "'" | '"', piece: () => string): string {
    this.next();
    let out = '';
    for (let ch = this.peek(); ch !== quote; ch = this.peek()) {
      if (ch === undefined) throw new WordError(`unexpected end of statement while looking for matching ${quote === "'" ? 'single' : 'double'}-quote`);
      out += piece();
    }
    this.next();
    return out;
  }

  /** '...': every character as it is. */
  single(): string {
    return this.quoted("'", () => this.next()!);
  }

  /** "...": $ substitutions, and the escape keeps its meaning only before ", $ and itself. */
  double(): string {
    return this.quoted('"', () => {
      const ch = this.peek()!;
      if (ch === '$') return this.dollar();
      this.next();
      if (ch === this.escape) {
        const n = this.peek();
        if (n === undefined) return '';
        if (n === '"' || n === '$' || n === this.escape) return this.next()!;
      }
      return ch;
    });
  }

  name(): string {
    let name = '';
    const first = this.peek();
    if (first !== undefined && /[0-9]/.test(first)) {
      while (this.peek() !== undefined && /[0-9]/.test(this.peek()!)) name += this.next();
      return name;
    }
    if (first !== undefined && '*#@$?!-'.includes(first)) {
      this.next();
      return first;
    }
    while (this.peek() !== undefined && /[\p{L}\p{N}_]/u.test(this.peek()!)) name += this.next();
    return name;
  }

  lookup(name: string): string | undefined {
    this.used.add(name);
    return this.env.get(name);
  }

  dollar(): string {
    this.next(); // $
    if (this.peek() !== '{') {
      const name = this.name();
      if (name === '') return '$';
      return this.lookup(name) ?? '';
    }
    this.next(); // {
    const p = this.peek();
    if (p === undefined) throw new WordError("syntax error: missing '}'");
    if (p === '{' || p === '}' || p === ':') throw new WordError('syntax error: bad substitution');
    const name = this.name();
    const value = this.lookup(name);
    let op = this.next();
    if (op === '}') return value ?? '';
    if (op === undefined) throw new WordError("syntax error: missing '}'");
    let nullIsUnset = false;
    if (op === ':') {
      nullIsUnset = true;
      op = this.next();
      if (op === undefined || !'+-?'.includes(op)) throw new WordError(`unsupported modifier (:${op ?? ''}) in substitution`);
    }
    const unset = value === undefined || (nullIsUnset && value === '');
    switch (op) {
      case '-': {
        const word = this.process(['}'], false);
        return unset ? word : value!;
      }
      case '+': {
        const word = this.process(['}'], false);
        return unset ? '' : word;
      }
      case '?': {
        const word = this.process(['}'], false);
        if (unset) throw new WordError(`${name}: ${word || 'is not allowed to be unset'}`);
        return value!;
      }
      case '#':
      case '%': {
        const greedy = this.peek() === op;
        if (greedy) this.next();
        const pattern = this.process(['}'], true);
        return trimPattern(value ?? '', pattern, op === '#' ? 'prefix' : 'suffix', greedy, this.escape);
      }
      case '/': {
        const all = this.peek() === '/';
        if (all) this.next();
        const pattern = this.process(['/', '}'], true);
        // process() consumed the stop character: '}' means there was no replacement.
        const hadSlash = this.#s[this.#i - 1] === '/';
        const repl = hadSlash ? this.process(['}'], false) : '';
        const re = new RegExp(globToRegex(pattern, this.escape), all ? 'gs' : 's');
        return (value ?? '').replace(re, () => repl);
      }
      default:
        throw new WordError(`unsupported modifier (${op}) in substitution`);
    }
  }
}

/** A shell glob (*, ?, [..], escapes) as a regular expression source. */
function globToRegex(glob: string, escape: string): string {
  let re = '';
  const cs = [...glob];
  for (let i = 0; i < cs.length; i++) {
    const c = cs[i]!;
    if (c === escape && i + 1 < cs.length) re += cs[++i]!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    else if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close < 0) re += '\\[';
      else {
        let set = cs.slice(i + 1, close).join('');
        if (set.startsWith('!')) set = '^' + set.slice(1);
        re += `[${set.replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return re;
}

function trimPattern(value: string, pattern: string, side: 'prefix' | 'suffix', greedy: boolean, escape: string): string {
  const re = new RegExp(`^(?:${globToRegex(pattern, escape)})$`, 's');
  if (side === 'prefix') {
    const lens = [...Array(value.length + 1).keys()];
    if (greedy) lens.reverse();
    for (const n of lens) if (re.test(value.slice(0, n))) return value.slice(n);
  } else {
    const starts = [...Array(value.length + 1).keys()];
    if (!greedy) starts.reverse();
    for (const n of starts) if (re.test(value.slice(n))) return value.slice(0, n);
  }
  return value;
}

export interface Expansion {
  value: string;
  /** Names of the variables the word referred to (for "ARG declared but unused" and the cache key). */
  used: Set<string>;
}

/** One word: quotes removed, escapes applied, variables substituted. */
export function expandWord(word: string, env: Env, escape = '\\'): string {
  return new Lexer(word, escape, env, new Set()).process([], false);
}

/** Like expandWord, also reporting the variables used. */
export function expandWordUsed(word: string, env: Env, escape = '\\'): Expansion {
  const used = new Set<string>();
  return { value: new Lexer(word, escape, env, used).process([], false), used };
}

/** Expanded and split on unquoted whitespace (including whitespace inside unquoted variable values). */
export function expandWords(text: string, env: Env, escape = '\\'): string[] {
  const w = new Words();
  new Lexer(text, escape, env, new Set()).process([], false, w);
  w.end();
  return w.words;
}
