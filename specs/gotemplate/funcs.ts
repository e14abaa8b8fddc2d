// The functions a template may call: Go's built-ins (and, or, not, len, index, slice, print,
// printf, println, eq, ne, lt, le, gt, ge, html, js, urlquery) and Docker's (json, split, join,
// title, lower, upper, pad, truncate — docker/cli templates.basicFunctions).
import { formatNumber, goJson, goType, isMap, show, truth } from './values.ts';

export type TemplateFunc = (...args: unknown[]) => unknown;

/** Thrown by a function: the engine adds where it was called. */
export class FuncError extends Error {}

const num = (v: unknown, fn: string): number => {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') throw new FuncError(`${fn}: invalid type for comparison`);
  throw new FuncError(`${fn}: expected a number, got ${goType(v)}`);
};

function basicKind(v: unknown): string {
  if (typeof v === 'number') return 'number';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (v === null || v === undefined) return 'nil';
  throw new FuncError('invalid type for comparison');
}

function compare(fn: string, a: unknown, b: unknown): number {
  const ka = basicKind(a);
  if (ka !== basicKind(b)) throw new FuncError(`${fn}: incompatible types for comparison`);
  if (ka === 'bool' || ka === 'nil') {
    if (fn !== 'eq' && fn !== 'ne') throw new FuncError(`${fn}: invalid type for comparison`);
    return a === b ? 0 : 1;
  }
  return (a as number | string) < (b as number | string) ? -1 : (a as number | string) > (b as number | string) ? 1 : 0;
}

/** fmt.Sprintf with the verbs templates use: %v %s %q %d %f %e %g %x %X %o %b %t %c %%, flags, width, precision. */
export function sprintf(format: string, args: unknown[]): string {
  let i = 0;
  return format.replace(/%([-+# 0]*)(\d+)?(?:\.(\d+))?([a-zA-Z%])/g, (m, flags: string, width: string | undefined, prec: string | undefined, verb: string) => {
    if (verb === '%') return '%';
    if (i >= args.length) return `%!${verb}(MISSING)`;
    const a = args[i++];
    let s: string;
    const p = prec === undefined ? undefined : Number(prec);
    switch (verb) {
      case 'v': s = flags.includes('+') && a && typeof a === 'object' && !Array.isArray(a) ? `{${Object.entries(a).map(([k, x]) => `${k}:${show(x, false)}`).join(' ')}}` : show(a); break;
      case 's': s = show(a); if (p !== undefined) s = [...s].slice(0, p).join(''); break;
      case 'q': s = typeof a === 'number' ? `'${String.fromCodePoint(a)}'` : JSON.stringify(show(a)); break;
      case 'd': s = typeof a === 'number' ? String(Math.trunc(a)) : `%!d(${goType(a)}=${show(a)})`; break;
      case 'f': case 'F': s = typeof a === 'number' ? a.toFixed(p ?? 6) : `%!f(${goType(a)}=${show(a)})`; break;
      case 'e': s = typeof a === 'number' ? a.toExponential(p ?? 6).replace(/e([+-])(\d)$/, 'e$10$2') : `%!e(${goType(a)})`; break;
      case 'g': s = typeof a === 'number' ? (p === undefined ? formatNumber(a) : String(Number(a.toPrecision(p)))) : `%!g(${goType(a)})`; break;
      case 'x': case 'X': {
        s = typeof a === 'number' ? Math.trunc(a).toString(16) : Buffer.from(show(a)).toString('hex');
        if (verb === 'X') s = s.toUpperCase();
        if (flags.includes('#')) s = `0${verb}${s}`;
        break;
      }
      case 'o': s = typeof a === 'number' ? Math.trunc(a).toString(8) : `%!o(${goType(a)})`; break;
      case 'b': s = typeof a === 'number' ? Math.trunc(a).toString(2) : `%!b(${goType(a)})`; break;
      case 't': s = typeof a === 'boolean' ? String(a) : `%!t(${goType(a)}=${show(a)})`; break;
      case 'c': s = typeof a === 'number' ? String.fromCodePoint(a) : `%!c(${goType(a)})`; break;
      default: return `%!${verb}(${goType(a)}=${show(a)})`;
    }
    if ('dfeg'.includes(verb) && typeof a === 'number' && a >= 0) s = flags.includes('+') ? `+${s}` : flags.includes(' ') ? ` ${s}` : s;
    const w = width === undefined ? 0 : Number(width);
    if ([...s].length < w) {
      const pad = w - [...s].length;
      if (flags.includes('-')) s += ' '.repeat(pad);
      else if (flags.includes('0') && 'dfegxXob'.includes(verb)) s = /^[-+]/.test(s) ? s[0] + '0'.repeat(pad) + s.slice(1) : '0'.repeat(pad) + s;
      else s = ' '.repeat(pad) + s;
    }
    void m;
    return s;
  }) + (i < args.length ? `%!(EXTRA ${args.slice(i).map((a) => `${goType(a)}=${show(a)}`).join(', ')})` : '');
}

/** fmt.Sprint: a space between operands when neither is a string. */
function sprint(args: unknown[]): string {
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += show(a);
  });
  return out;
}

function index(item: unknown, ...keys: unknown[]): unknown {
  let v = item;
  for (const k of keys) {
    if (Array.isArray(v) || typeof v === 'string') {
      const n = num(k, 'index');
      const len = Array.isArray(v) ? v.length : Buffer.byteLength(v);
      if (!Number.isInteger(n) || n < 0 || n >= len) throw new FuncError(`error calling index: index out of range: ${n}`);
      v = Array.isArray(v) ? v[n] : Buffer.from(v as string)[n];
    } else if (v && typeof v === 'object') {
      if (typeof k !== 'string') throw new FuncError(`error calling index: value has type ${goType(k)}; should be string`);
      const o = v as Record<string, unknown>;
      v = Object.hasOwn(o, k) ? o[k] : isMap(o) && Object.values(o).every((x) => typeof x === 'string') ? '' : null;
    } else if (v === undefined || v === null) {
      throw new FuncError('error calling index: index of untyped nil');
    } else {
      throw new FuncError(`error calling index: can't index item of type ${goType(v)}`);
    }
  }
  return v;
}

const title = (s: string) => s.replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_m, a: string, b: string) => a + b.toUpperCase());

const str = (v: unknown, fn: string): string => {
  if (typeof v !== 'string') throw new FuncError(`error calling ${fn}: expected a string, got ${goType(v)}`);
  return v;
};

export const builtins: Record<string, TemplateFunc> = {
  and: (...a) => a.find((x) => !truth(x)) ?? a.at(-1),
  or: (...a) => a.find((x) => truth(x)) ?? a.at(-1),
  not: (a) => !truth(a),
  len: (a) => {
    if (typeof a === 'string') return Buffer.byteLength(a);
    if (Array.isArray(a)) return a.length;
    if (a && typeof a === 'object') return Object.keys(a).length;
    throw new FuncError(`error calling len: len of ${goType(a)}`);
  },
  index,
  slice: (item, ...idx) => {
    const [from = 0, to] = idx.map((x) => num(x, 'slice'));
    if (typeof item === 'string') return item.slice(from, to);
    if (Array.isArray(item)) return item.slice(from, to);
    throw new FuncError(`error calling slice: can't slice item of type ${goType(item)}`);
  },
  print: (...a) => sprint(a),
  printf: (f, ...a) => sprintf(str(f, 'printf'), a),
  println: (...a) => `${a.map((x) => show(x)).join(' ')}\n`,
  eq: (a, ...bs) => {
    if (!bs.length) throw new FuncError('missing argument for comparison');
    return bs.some((b) => compare('eq', a, b) === 0);
  },
  ne: (a, b) => compare('ne', a, b) !== 0,
  lt: (a, b) => compare('lt', a, b) < 0,
  le: (a, b) => compare('le', a, b) <= 0,
  gt: (a, b) => compare('gt', a, b) > 0,
  ge: (a, b) => compare('ge', a, b) >= 0,
  html: (...a) => sprint(a).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' })[c]!),
  js: (...a) => sprint(a).replace(/[\\'"<>&=]/g, (c) => (c === '\\' || c === "'" || c === '"' ? `\\${c}` : `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`)),
  urlquery: (...a) => encodeURIComponent(sprint(a)).replace(/%20/g, '+'),
  // Docker's (docker/cli templates/templates.go)
  json: (v) => goJson(v),
  split: (s, sep) => str(s, 'split').split(str(sep, 'split')),
  join: (list, sep) => {
    if (!Array.isArray(list)) throw new FuncError(`error calling join: expected a list, got ${goType(list)}`);
    return list.map((x) => show(x)).join(str(sep, 'join'));
  },
  title: (s) => title(str(s, 'title')),
  lower: (s) => str(s, 'lower').toLowerCase(),
  upper: (s) => str(s, 'upper').toUpperCase(),
  pad: (s, prefix, suffix) => ' '.repeat(num(prefix, 'pad')) + str(s, 'pad') + ' '.repeat(num(suffix, 'pad')),
  truncate: (s, n) => {
    const chars = [...str(s, 'truncate')];
    return chars.length < num(n, 'truncate') ? chars.join('') : chars.slice(0, num(n, 'truncate')).join('');
  },
};

/** Docker's header functions: what a `table` header row is rendered with (the header text stays intact). */
export const headerFuncs: Record<string, TemplateFunc> = {
  ...builtins,
  json: (v) => v,
  split: (v) => v,
  join: (v) => v,
  title: (v) => v,
  lower: (v) => v,
  upper: (v) => v,
  truncate: (v) => v,
};
