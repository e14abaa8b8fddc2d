// Docker's --format: "" (the verb's table), "json" (one JSON document per line), "table" or
// "table TEMPLATE" (a header row, then one row per item, aligned by Go's text/tabwriter as the
// docker CLI sets it up: minwidth 10, padding 3), or a TEMPLATE run once per item. `\t` and `\n`
// written in the flag are a tab and a newline, as Docker reads them.
import { GoTemplate, type TemplateOptions } from './exec.ts';
import { headerFuncs } from './funcs.ts';
import { goJson, markMap } from './values.ts';

/**
 * Go's text/tabwriter (flags 0, padchar ' '): cells end at tabs; a column's width is its widest
 * cell plus `padding`, at least `minwidth`, over each block of consecutive lines that have that
 * column; a line's last cell (not tab-terminated) is not aligned.
 */
export function tabwrite(text: string, o: { minwidth: number; padding: number } = { minwidth: 10, padding: 3 }): string {
  // A line is its cells; the text after the last newline is a line of no cells (as Go's Writer sees it).
  const lines = text.split('\n').map((l, i, all) => (i === all.length - 1 && l === '' ? [] : l.split('\t')));
  const width = (s: string) => [...s].length;
  let out = '';
  const widths: number[] = [];
  const writeLines = (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const cells = lines[i]!;
      cells.forEach((c, j) => {
        out += c;
        if (j < widths.length) out += ' '.repeat(Math.max(0, widths[j]! - width(c)));
      });
      if (i < lines.length - 1) out += '\n';
    }
  };
  const format = (line0: number, line1: number): void => {
    const column = widths.length;
    for (let i = line0; i < line1; i++) {
      if (column >= lines[i]!.length - 1) continue;
      writeLines(line0, i);
      line0 = i;
      let w = o.minwidth;
      for (; i < line1 && column < lines[i]!.length - 1; i++) w = Math.max(w, width(lines[i]![column]!) + o.padding);
      widths.push(w);
      format(line0, i);
      widths.pop();
      line0 = i;
      i--;
    }
    writeLines(line0, line1);
  };
  format(0, lines.length);
  return out;
}

export interface FormatOptions extends TemplateOptions {
  /** The verb's own table ("table {{.ID}}\t…"), used for "" and "table". */
  defaultTable: string;
  /** Header text of each field (ID → "CONTAINER ID"), for table headers. */
  headers: Record<string, string>;
}

/** Renders items as Docker's --format says; `format` undefined or "" is the verb's table. */
export function renderFormat(format: string | undefined, items: unknown[], o: FormatOptions): string {
  const f = (format ?? '').trim() || o.defaultTable;
  if (f === 'json') return items.map((i) => `${goJson(i)}\n`).join('');
  const table = f === 'table' || f.startsWith('table ');
  const body = (f === 'table' ? o.defaultTable.slice('table '.length) : table ? f.slice('table '.length) : f).trim().replaceAll('\\t', '\t').replaceAll('\\n', '\n');
  const tmpl = new GoTemplate(body, o);
  const rows = items.map((i) => `${tmpl.execute(i)}\n`).join('');
  if (!table) return rows;
  const header = new GoTemplate(body, { ...o, funcs: headerFuncs }).execute(markMap({ ...o.headers }));
  return tabwrite(`${header}\n${rows}`);
}
