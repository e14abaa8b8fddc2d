// .dockerignore as Docker reads and applies it (moby/patternmatcher): one pattern per line, `#`
// comments, `!` exceptions, patterns cleaned (filepath.Clean) with a leading `/` dropped, `*` and
// `?` never crossing `/`, `**` any number of directories, `\` escaping; the last matching pattern
// wins, and a pattern matching a parent directory matches everything under it.
// Written by hand: the rules fit in a page, and the npm ports (@balena/dockerignore) follow
// .gitignore-style conventions in places where Docker differs.
import { posix } from 'node:path';

interface Pattern {
  text: string;
  exclusion: boolean;
  re: RegExp;
  /** Number of path components, to test parent directories. */
  dirs: number;
}

export class IgnoreMatcher {
  readonly patterns: Pattern[];
  readonly hasExclusions: boolean;

  constructor(lines: string[]) {
    this.patterns = [];
    for (const line of lines) {
      let p = line.trim();
      if (!p || p.startsWith('#')) continue;
      const exclusion = p.startsWith('!');
      if (exclusion) p = p.slice(1).trim();
      if (!p) continue;
      p = posix.normalize(p);
      if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
      if (p.length > 1 && p.startsWith('/')) p = p.slice(1);
      this.patterns.push({ text: p, exclusion, re: compile(p), dirs: p.split('/').length });
    }
    this.hasExclusions = this.patterns.some((p) => p.exclusion);
  }

  static parse(text: string): IgnoreMatcher {
    return new IgnoreMatcher(text.split(/\r?\n/));
  }

  /** Is this context-relative path (forward slashes, no leading ./) excluded? */
  ignores(rel: string): boolean {
    const file = posix.normalize(rel);
    const parents = file.split('/');
    parents.pop();
    let matched = false;
    for (const p of this.patterns) {
      if (p.exclusion !== matched) continue; // cannot change the verdict
      let m = p.re.test(file);
      if (!m && parents.length > 0) {
        // A pattern matching a parent directory matches its contents.
        for (let i = 1; i <= parents.length && !m; i++) m = p.re.test(parents.slice(0, i).join('/'));
      }
      if (m) matched = !p.exclusion;
    }
    return matched;
  }

  /**
   * May a directory be skipped whole? Only when it is ignored and no exception could re-include
   * something under it (Docker's walk does the same check).
   */
  skipsDir(rel: string): boolean {
    if (!this.ignores(rel)) return false;
    if (!this.hasExclusions) return true;
    const prefix = rel + '/';
    for (const p of this.patterns) {
      if (!p.exclusion) continue;
      if (p.text.includes('*') || p.text.includes('?') || p.text.includes('[') || p.text.startsWith(prefix)) return false;
    }
    return true;
  }
}

function compile(pattern: string): RegExp {
  let re = '^';
  const cs = [...pattern];
  for (let i = 0; i < cs.length; i++) {
    const ch = cs[i]!;
    if (ch === '*') {
      if (cs[i + 1] === '*') {
        i++;
        if (cs[i + 1] === '/') i++;
        re += i + 1 >= cs.length ? '.*' : '(.*/)?';
      } else re += '[^/]*';
    } else if (ch === '?') re += '[^/]';
    else if (ch === '\\') {
      const n = cs[++i];
      re += n === undefined ? '\\\\' : escapeRe(n);
    } else if (ch === '[') {
      const close = pattern.indexOf(']', i + 1);
      if (close < 0) re += '\\[';
      else {
        let set = cs.slice(i + 1, close).join('');
        if (set.startsWith('^') || set.startsWith('!')) set = '^' + set.slice(1);
        re += `[${set}]`;
        i = close;
      }
    } else re += escapeRe(ch);
  }
  try {
    return new RegExp(re + '$', 's');
  } catch {
    // A pattern Docker would reject as malformed ("syntax error in pattern"): it matches nothing.
    return /$^/;
  }
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** filepath.Match for one path component pattern against a name (globs in COPY sources). */
export function matchComponent(pattern: string, name: string): boolean {
  return compile(pattern).test(name);
}

export function hasGlob(s: string): boolean {
  return /[*?[\\]/.test(s);
}
