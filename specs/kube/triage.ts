// Kubernetes fields sorted before a manifest is checked: what berth runs is kept (the kind's schema
// checks it), what it does not implement is dropped with a warning at its file:line:col (never
// silently), and what would change the manifest's meaning if dropped (hostPID: true, a volume
// source berth has no data for) is refused as an error. A field no table names is kept too: the
// schema then reports it as unknown, as kubectl's strict validation does.
import type { Problem, PathSegment } from '../problems.ts';

export type Rule =
  | { kind: 'run' }
  | { kind: 'warn'; why: string }
  | { kind: 'refuse'; when: (v: unknown) => boolean; why: string; otherwise: 'run' | 'drop' }
  | { kind: 'object'; fields: Rules }
  | { kind: 'list'; fields: Rules };
export type Rules = Record<string, Rule>;

export const RUN: Rule = { kind: 'run' };
/** Not implemented: dropped, with a warning saying why it does not matter on one host (or what is lost). */
export const warn = (why: string): Rule => ({ kind: 'warn', why });
/** Refused when `when` holds (its meaning cannot be kept); otherwise kept (run) or dropped silently because it asks for what berth does anyway (drop). */
export const refuseIf = (when: (v: unknown) => boolean, why: string, otherwise: 'run' | 'drop' = 'drop'): Rule => ({ kind: 'refuse', when, why, otherwise });
export const object = (fields: Rules): Rule => ({ kind: 'object', fields });
export const list = (fields: Rules): Rule => ({ kind: 'list', fields });

export interface Triaged {
  value: unknown;
  warnings: Problem[];
  errors: Problem[];
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The value with the fields the rules drop removed, and what was said about them. */
export function triage(value: unknown, rules: Rules, path: PathSegment[] = []): Triaged {
  const out: Triaged = { value, warnings: [], errors: [] };
  if (!isMap(value)) return out;
  const kept: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const rule = rules[key];
    const at = [...path, key];
    if (!rule || rule.kind === 'run') {
      kept[key] = v;
    } else if (rule.kind === 'warn') {
      out.warnings.push({ path: at, onKey: true, message: `ignored by berth: ${rule.why}` });
    } else if (rule.kind === 'refuse') {
      if (rule.when(v)) out.errors.push({ path: at, message: rule.why });
      else if (rule.otherwise === 'run') kept[key] = v;
    } else if (rule.kind === 'object') {
      const t = triage(v, rule.fields, at);
      kept[key] = t.value;
      out.warnings.push(...t.warnings);
      out.errors.push(...t.errors);
    } else {
      if (!Array.isArray(v)) {
        kept[key] = v;
        continue;
      }
      kept[key] = v.map((item, i) => {
        const t = triage(item, rule.fields, [...at, i]);
        out.warnings.push(...t.warnings);
        out.errors.push(...t.errors);
        return t.value;
      });
    }
  }
  out.value = kept;
  return out;
}
