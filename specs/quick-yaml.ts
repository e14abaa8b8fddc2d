// Manifests read without a syntax tree: js-yaml's loader (YAML 1.2 core schema, as the `yaml`
// package reads manifests) on each document of a text, and where each document's first node is.
// load.ts takes this way first and parses again with positions (the `yaml` package) as soon as
// anything needs more than a document's own location — a problem, a warning — or the text has
// something the two parsers could read differently; so the fast way only ever yields what the
// located parse would have.
import { CORE_SCHEMA, loadAll } from 'js-yaml';

export interface QuickDocument {
  value: Record<string, unknown>;
  /** Where the document's first node is (1-based), as the located parse reports a whole document. */
  line: number;
  col: number;
}

/**
 * Texts left to the located parse: anchors, aliases and tags (an alias expands under the located
 * parse's limit of 100, tags may differ), directives (`%YAML 1.1` changes the schema), merge keys
 * (`<<`), and the two plain scalars the parsers read differently (`0b101`: a number to js-yaml only;
 * `-.5`: a number to `yaml` only). Looked for anywhere: a false alarm costs only the slower parse.
 */
const LEFT_TO_LOCATED = [/(?:^|[\s[{,])[&*!]/m, /^%/m, /<</, /0b[01]/, /[-+]\.[0-9]/];

/** A line that starts a document (`---`) or ends one (`...`): never inside a node (YAML 1.2 c-forbidden). */
const MARKER = /^(?:---|\.\.\.)(?=[ \t\r\n]|$)/gm;

/** Skips blanks, line breaks and comments from `i`: the offset of the next node. */
function nextNode(text: string, i: number, end: number): number {
  while (i < end) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') i++;
    else if (c === '#') {
      const nl = text.indexOf('\n', i);
      i = nl < 0 || nl > end ? end : nl;
    } else break;
  }
  return i;
}

/**
 * The mapping documents of `text` with their locations; undefined when the text is one for the
 * located parse (see LEFT_TO_LOCATED), or is not well-formed, or a document is not a mapping.
 */
export function quickDocuments(text: string): QuickDocument[] | undefined {
  if (LEFT_TO_LOCATED.some((re) => re.test(text))) return undefined;
  const starts = [0];
  for (const m of text.matchAll(MARKER)) if (m.index! > 0) starts.push(m.index!);
  const out: QuickDocument[] = [];
  let line = 1;
  let counted = 0;
  for (let k = 0; k < starts.length; k++) {
    const start = starts[k]!;
    const end = k + 1 < starts.length ? starts[k + 1]! : text.length;
    const segment = text.slice(start, end);
    let values: unknown[];
    try {
      values = loadAll(segment, { schema: CORE_SCHEMA });
    } catch {
      return undefined;
    }
    const present = values.filter((v) => v !== null && v !== undefined);
    if (present.length === 0) continue;
    const value = present[0];
    if (present.length > 1 || typeof value !== 'object' || Array.isArray(value)) return undefined;
    // The first node: after the marker (`---`, on the same line or below), blanks and comments.
    const marker = text.startsWith('---', start) ? 3 : text.startsWith('...', start) ? 3 : 0;
    const at = nextNode(text, start + marker, end);
    for (; counted < at; counted++) if (text.charCodeAt(counted) === 10) line++;
    out.push({ value: value as Record<string, unknown>, line, col: at - text.lastIndexOf('\n', at - 1) });
  }
  return out;
}
