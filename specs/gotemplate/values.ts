// Go's view of JSON-shaped values, as text/template sees the structs Docker hands it: printing
// (fmt's %v), truth, and Go's JSON encoding. A value is a map when the engine was told so (a field
// named in `mapFields`, e.g. Labels): maps print as map[k:v], iterate and encode in key order, and a
// missing key is "<no value>"; any other object is a struct, whose missing fields are errors.

/** Objects the engine treats as Go maps. */
const maps = new WeakSet<object>();

export function markMap<T extends object>(o: T): T {
  maps.add(o);
  return o;
}

export function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && maps.has(v);
}

export function isStruct(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !maps.has(v);
}

/** Go's fmt %v of a number: integers as such, others in their shortest form (Go's %g exponents). */
export function formatNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  if (!Number.isFinite(n)) return Number.isNaN(n) ? 'NaN' : n > 0 ? '+Inf' : '-Inf';
  const exp = Math.floor(Math.log10(Math.abs(n)));
  if (exp < -4 || exp >= 21) return n.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
  return String(n);
}

/** fmt.Sprint's %v. */
export function show(v: unknown, top = true): string {
  if (v === undefined) return top ? '<no value>' : '<nil>';
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (typeof v === 'function') return '<func>';
  if (Array.isArray(v)) return `[${v.map((x) => show(x, false)).join(' ')}]`;
  const o = v as Record<string, unknown>;
  if (isMap(o)) return `map[${Object.keys(o).sort().map((k) => `${k}:${show(o[k], false)}`).join(' ')}]`;
  return `{${Object.values(o).map((x) => show(x, false)).join(' ')}}`;
}

/** text/template's truth: false, 0, "", nil, and empty slices and maps are false. */
export function truth(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isMap(v)) return Object.keys(v).length > 0;
  return true;
}

/** encoding/json as Docker's `json` function calls it (no HTML escaping): maps in key order, structs in field order. */
export function goJson(v: unknown): string {
  if (v === undefined || v === null || typeof v === 'function') return 'null';
  if (typeof v === 'number') return Number.isFinite(v) ? JSON.stringify(v) : 'null';
  if (typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(goJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  const keys = isMap(o) ? Object.keys(o).sort() : Object.keys(o).filter((k) => o[k] !== undefined && typeof o[k] !== 'function');
  return `{${keys.map((k) => `${JSON.stringify(k)}:${goJson(o[k])}`).join(',')}}`;
}

/** Go's type names, as its errors word them. */
export function goType(v: unknown): string {
  if (v === undefined || v === null) return '<nil>';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return '[]interface {}';
  if (isMap(v)) return 'map[string]interface {}';
  return 'struct';
}
