// JSON text → value, keeping where each key and value is, so a problem found later (by the schema,
// by a cross-check) is reported as file:line:col. Parsed with momoa, a strict JSON parser that
// keeps locations (JSON.parse keeps none; yaml's parser accepts comments, single quotes and
// trailing commas, which daemon.json must not have — dockerd would refuse the same file).
import { evaluate, parse, type AnyNode, type DocumentNode, type MemberNode } from '@humanwhocodes/momoa';
import type { Location } from '../../specs/api/common.ts';
import type { PathSegment } from '../../specs/problems.ts';

export interface LocatedJson {
  value: unknown;
  /** Where the node at `path` is (or its key, with onKey); the nearest existing ancestor otherwise. */
  locate(path: PathSegment[], onKey?: boolean): Location;
}

export interface JsonProblem extends Location {
  message: string;
}

/** Parses `text`; a syntax error or a key given twice in one object is a located problem. */
export function parseLocatedJson(file: string, text: string): { json: LocatedJson } | { problems: JsonProblem[] } {
  let doc: DocumentNode;
  try {
    doc = parse(text, { mode: 'json' });
  } catch (err) {
    const e = err as Error & { line?: number; column?: number };
    const message = e.message.replace(/\s*\(\d+:\d+\)$/, '');
    return { problems: [{ file, line: e.line ?? 1, col: e.column ?? 1, message: `not valid JSON: ${message}` }] };
  }
  const problems: JsonProblem[] = [];
  findDuplicates(doc.body, file, problems);
  if (problems.length) return { problems };
  return {
    json: {
      value: evaluate(doc.body),
      locate: (path, onKey = false) => {
        const at = nodeAt(doc.body, path, onKey);
        return { file, line: at.loc.start.line, col: at.loc.start.column };
      },
    },
  };
}

const keyName = (m: MemberNode): string => (m.name.type === 'String' ? m.name.value : m.name.name);

/** Go's encoding/json keeps the last of two equal keys; here that ambiguity is an error. */
function findDuplicates(n: AnyNode, file: string, out: JsonProblem[]): void {
  if (n.type === 'Object') {
    const seen = new Map<string, { line: number; column: number }>();
    for (const m of n.members) {
      const k = keyName(m);
      const first = seen.get(k);
      if (first) out.push({ file, line: m.name.loc.start.line, col: m.name.loc.start.column, message: `key "${k}" is given twice (first at ${first.line}:${first.column}); keep one` });
      else seen.set(k, m.name.loc.start);
      findDuplicates(m.value, file, out);
    }
  } else if (n.type === 'Array') {
    for (const e of n.elements) findDuplicates(e.value, file, out);
  }
}

function nodeAt(root: AnyNode, path: PathSegment[], onKey: boolean): AnyNode {
  let node = root;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    if (node.type === 'Object') {
      const m = node.members.find((x) => keyName(x) === String(seg));
      if (!m) break;
      if (onKey && i === path.length - 1) return m.name;
      node = m.value;
    } else if (node.type === 'Array' && typeof seg === 'number' && node.elements[seg]) {
      node = node.elements[seg]!.value;
    } else break;
  }
  return node;
}
