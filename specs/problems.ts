// Turns zod issues into problems people can act on: a path into the document, whether the
// problem is the key itself (unknown field) or its value, and a message that says what is wrong
// and what would be right ("did you mean", the allowed values, the expected type).
import type { z } from 'zod';
import { didYouMean } from './suggest.ts';

export type PathSegment = string | number;

export interface Problem {
  path: PathSegment[];
  /** Point at the key of the last path segment (unknown field) rather than at its value. */
  onKey?: boolean;
  message: string;
}

// zod's internal definition, as much of it as the walk below needs.
interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
}
const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

function unwrap(s: z.ZodType): z.ZodType {
  for (;;) {
    const d = defOf(s);
    if (d.innerType && ['optional', 'default', 'prefault', 'nullable', 'readonly', 'catch', 'nonoptional'].includes(d.type)) s = d.innerType;
    else if (d.type === 'pipe' && d.in) s = d.in;
    else return s;
  }
}

/** The field names the schema allows at `path` (an object's shape), for "did you mean". */
export function knownKeysAt(schema: z.ZodType, path: PathSegment[]): string[] {
  let s: z.ZodType | undefined = unwrap(schema);
  for (const seg of path) {
    if (!s) return [];
    const d = defOf(s);
    if (d.type === 'object' && typeof seg === 'string') s = d.shape?.[seg];
    else if (d.type === 'array') s = d.element;
    else if (d.type === 'record') s = d.valueType;
    else if (d.type === 'union') s = d.options?.find((o) => defOf(unwrap(o)).type === 'object');
    else return [];
    s = s && unwrap(s);
  }
  if (!s) return [];
  const d = defOf(s);
  return d.type === 'object' ? Object.keys(d.shape ?? {}) : [];
}

/** A short description of a value for messages: `string "80"`, `number 5`, `a list`, ... */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  return `${typeof v} ${String(v)}`;
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
  record: 'a mapping',
};

function issueProblems(issue: z.core.$ZodIssue, schema: z.ZodType): Problem[] {
  const path = issue.path.filter((p): p is PathSegment => typeof p !== 'symbol');
  const input = (issue as { input?: unknown }).input;
  const hasInput = 'input' in issue;
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = knownKeysAt(schema, path);
      return issue.keys.map((k) => ({
        path: [...path, k],
        onKey: true,
        message: `unknown field "${k}"${didYouMean(k, known) || (known.length ? ` (known fields: ${known.join(', ')})` : '')}`,
      }));
    }
    case 'invalid_type': {
      const want = TYPE_WORDS[issue.expected] ?? issue.expected;
      if (!hasInput || input === undefined) {
        const field = path[path.length - 1];
        if (typeof field === 'string') return [{ path: path.slice(0, -1), onKey: true, message: `missing required field "${field}" (${want})` }];
        return [{ path, message: `missing value: expected ${want}` }];
      }
      return [{ path, message: `expected ${want}, got ${describeValue(input)}` }];
    }
    case 'invalid_value': {
      const allowed = issue.values.map((v) => JSON.stringify(v)).join(', ');
      const hint = typeof input === 'string' ? didYouMean(input, issue.values.map(String)) : '';
      const custom = issue.message.startsWith('Invalid') ? '' : `${issue.message}: `;
      return [{ path, message: `${custom}${describeValue(input)} is not allowed; use one of ${allowed}${hint}` }];
    }
    case 'invalid_union': {
      const wants = issue.errors
        .map((errs) => errs.find((e) => e.code === 'invalid_type' && e.path.length === 0) as { expected?: string } | undefined)
        .map((e) => (e?.expected ? (TYPE_WORDS[e.expected] ?? e.expected) : undefined));
      if (wants.every((w) => w !== undefined)) {
        const field = path[path.length - 1];
        if (input === undefined && typeof field === 'string') {
          return [{ path: path.slice(0, -1), onKey: true, message: `missing required field "${field}" (${wants.join(' or ')})` }];
        }
        return [{ path, message: `expected ${wants.join(' or ')}, got ${describeValue(input)}` }];
      }
      // One branch got further than the others: report its problems, they are the relevant ones.
      const deepest = [...issue.errors].sort((a, b) => Math.max(0, ...b.map((e) => e.path.length)) - Math.max(0, ...a.map((e) => e.path.length)))[0] ?? [];
      return deepest.flatMap((e) => issueProblems({ ...e, path: [...issue.path, ...e.path] } as z.core.$ZodIssue, schema));
    }
    case 'too_small':
    case 'too_big': {
      const generic = issue.message.startsWith('Too ');
      const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      const what =
        issue.origin === 'string'
          ? `${issue.code === 'too_small' ? 'at least' : 'at most'} ${bound} characters`
          : issue.origin === 'array'
            ? `${issue.code === 'too_small' ? 'at least' : 'at most'} ${bound} items`
            : `${issue.code === 'too_small' ? 'at least' : 'at most'} ${bound}`;
      return [{ path, message: generic ? `must be ${what} (got ${describeValue(input)})` : `${issue.message} (got ${describeValue(input)})` }];
    }
    case 'invalid_format': {
      const generic = issue.message.startsWith('Invalid');
      return [{ path, message: `${describeValue(input)}: ${generic ? `must match ${issue.format}` : issue.message}` }];
    }
    default:
      return [{ path, message: issue.message }];
  }
}

export function problemsFromIssues(issues: readonly z.core.$ZodIssue[], schema: z.ZodType): Problem[] {
  return issues.flatMap((i) => issueProblems(i, schema));
}

/** `spec.ports[0].containerPort` */
export function formatPath(path: PathSegment[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}
