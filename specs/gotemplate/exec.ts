// Executes a parsed Go template on JSON-shaped data, with Go's rules: `.` and `$`, field chains,
// pipelines (the piped value is the last argument), variables scoped to their control structure,
// if/with/range with else, break/continue, and Go's error texts naming the field that failed.
import { closest } from '../suggest.ts';
import { builtins, FuncError, type TemplateFunc } from './funcs.ts';
import { parseTemplate, TemplateError, type Arg, type Command, type ControlNode, type Node, type Pipe } from './parse.ts';
import { goType, isMap, isStruct, markMap, show, truth } from './values.ts';

export interface TemplateOptions {
  /** Fields whose values are Go maps (Labels, Ports, Networks…): a missing key is "<no value>", not an error. */
  mapFields?: ReadonlySet<string>;
  funcs?: Record<string, TemplateFunc>;
  /** How errors name the data's type ("*types.ContainerJSON"). */
  typeName?: string;
}

class Break {}
class Continue {}

/** A parsed template, executed on any number of values. */
export class GoTemplate {
  readonly #nodes: Node[];
  readonly #o: TemplateOptions;
  readonly #funcs: Record<string, TemplateFunc>;

  constructor(readonly source: string, o: TemplateOptions = {}) {
    this.#nodes = parseTemplate(source);
    this.#o = o;
    this.#funcs = o.funcs ?? builtins;
    // Go checks at parse time that every function exists.
    const check = (nodes: Node[]) => {
      for (const n of nodes) {
        if (n.t === 'action' || n.t === 'if' || n.t === 'with' || n.t === 'range') this.#checkPipe(n.pipe);
        if (n.t === 'if' || n.t === 'with' || n.t === 'range') (check(n.list), n.else && check(n.else));
      }
    };
    check(this.#nodes);
  }

  #checkPipe(p: Pipe): void {
    for (const c of p.cmds) {
      for (const a of c.args) {
        if (a.t === 'ident' && !this.#funcs[a.name]) {
          const guess = closest(a.name, Object.keys(this.#funcs));
          throw new TemplateError(`template: :${c.at.split(':')[0]}: function "${a.name}" not defined${guess ? ` (did you mean "${guess}"?)` : ''}`);
        }
        if (a.t === 'pipe') this.#checkPipe(a.pipe);
      }
    }
  }

  execute(data: unknown): string {
    const root = this.#marked(data);
    const vars: Array<Map<string, unknown>> = [new Map([['$', root]])];
    let out = '';
    const lookup = (name: string, at: string) => {
      for (let i = vars.length - 1; i >= 0; i--) if (vars[i]!.has(name)) return vars[i]!.get(name);
      throw new TemplateError(`template: :${at.split(':')[0]}: undefined variable "${name}"`);
    };
    const fail = (c: Command, msg: string): never => {
      throw new TemplateError(`template: :${c.at}: executing "" at <${c.text}>: ${msg}`);
    };

    const field = (recv: unknown, name: string, c: Command, args: unknown[]): unknown => {
      if (recv === undefined || recv === null) {
        if (args.length) fail(c, `nil pointer evaluating ${goType(recv)}.${name}`);
        return undefined; // a missing map entry's fields are missing too: "<no value>"
      }
      if (isMap(recv)) return recv[name];
      if (isStruct(recv)) {
        if (!Object.hasOwn(recv, name)) {
          const guess = closest(name, Object.keys(recv));
          fail(c, `can't evaluate field ${name} in type ${recv === root && this.#o.typeName ? this.#o.typeName : 'struct'}${guess ? ` (did you mean .${guess}?)` : ''}`);
        }
        const v = recv[name];
        if (typeof v === 'function') return (v as (...a: unknown[]) => unknown)(...args);
        if (args.length) fail(c, `${name} has arguments but cannot be invoked as function`);
        return v;
      }
      return fail(c, `can't evaluate field ${name} in type ${goType(recv)}`);
    };

    const chain = (v: unknown, names: string[], c: Command, args: unknown[]) =>
      names.reduce((acc, n, i) => field(acc, n, c, i === names.length - 1 ? args : []), v);

    const evalArg = (dot: unknown, a: Arg, c: Command): unknown => {
      switch (a.t) {
        case 'dot': return dot;
        case 'field': return chain(dot, a.names, c, []);
        case 'var': return chain(lookup(a.name, c.at), a.names, c, []);
        case 'str': return a.value;
        case 'num': return a.value;
        case 'bool': return a.value;
        case 'nil': return fail(c, 'nil is not a command');
        case 'pipe': return chain(evalPipe(dot, a.pipe), a.names, c, []);
        case 'ident': return call(dot, a.name, [], c, undefined, false);
      }
    };

    const call = (dot: unknown, name: string, argNodes: Arg[], c: Command, final: unknown, hasFinal: boolean): unknown => {
      const args = argNodes.map((x) => evalArg(dot, x, c));
      if (hasFinal) args.push(final);
      try {
        return this.#funcs[name]!(...args);
      } catch (err) {
        if (err instanceof FuncError) return fail(c, err.message.startsWith('error calling') ? err.message : `error calling ${name}: ${err.message}`);
        throw err;
      }
    };

    const evalCommand = (dot: unknown, c: Command, final: unknown, hasFinal: boolean): unknown => {
      const [first, ...rest] = c.args;
      const extra = () => [...rest.map((x) => evalArg(dot, x, c)), ...(hasFinal ? [final] : [])];
      switch (first!.t) {
        case 'ident': return call(dot, first!.name, rest, c, final, hasFinal);
        case 'field': return chain(dot, first!.names, c, extra());
        case 'var': return chain(lookup(first!.name, c.at), first!.names, c, extra());
        case 'pipe': if (first!.names.length) return chain(evalPipe(dot, first!.pipe), first!.names, c, extra()); break;
        default: break;
      }
      if (rest.length || hasFinal) fail(c, `can't give argument to non-function ${c.text.split(/\s/)[0]}`);
      return evalArg(dot, first!, c);
    };

    const evalPipe = (dot: unknown, p: Pipe): unknown => {
      let v: unknown;
      p.cmds.forEach((c, i) => (v = evalCommand(dot, c, v, i > 0)));
      for (const name of p.decl.slice(-1)) {
        if (p.assign) {
          const frame = [...vars].reverse().find((f) => f.has(name));
          if (!frame) throw new TemplateError(`template: :${p.cmds[0]!.at.split(':')[0]}: undefined variable "${name}"`);
          frame.set(name, v);
        } else vars.at(-1)!.set(name, v);
      }
      return v;
    };

    const scoped = (fn: () => void) => {
      vars.push(new Map());
      try {
        fn();
      } finally {
        vars.pop();
      }
    };

    const walk = (dot: unknown, nodes: Node[]): void => {
      for (const n of nodes) {
        switch (n.t) {
          case 'text': out += n.text; break;
          case 'action': {
            const v = evalPipe(dot, n.pipe);
            if (!n.pipe.decl.length) out += show(v);
            break;
          }
          case 'if': case 'with':
            scoped(() => {
              const v = evalPipe(dot, n.pipe);
              if (truth(v)) walk(n.t === 'with' ? v : dot, n.list);
              else if (n.else) walk(dot, n.else);
            });
            break;
          case 'range': scoped(() => range(dot, n)); break;
          case 'break': throw new Break();
          case 'continue': throw new Continue();
        }
      }
    };

    const range = (dot: unknown, n: ControlNode) => {
      const decl = n.pipe.decl;
      const v = evalPipe(dot, { ...n.pipe, decl: [] });
      let entries: Array<[unknown, unknown]>;
      if (Array.isArray(v)) entries = v.map((x, i) => [i, x]);
      else if (v && typeof v === 'object') entries = Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]);
      else if (typeof v === 'number' && Number.isInteger(v)) entries = Array.from({ length: Math.max(0, v) }, (_, i) => [i, i]);
      else if (v === undefined || v === null) entries = [];
      else throw new TemplateError(`template: :${n.pipe.cmds[0]!.at}: range can't iterate over ${show(v)}`);
      if (!entries.length) {
        if (n.else) walk(dot, n.else);
        return;
      }
      for (const [k, x] of entries) {
        if (decl.length === 2) (vars.at(-1)!.set(decl[0]!, k), vars.at(-1)!.set(decl[1]!, x));
        else if (decl.length === 1) vars.at(-1)!.set(decl[0]!, x);
        try {
          walk(x, n.list);
        } catch (e) {
          if (e instanceof Break) break;
          if (!(e instanceof Continue)) throw e;
        }
      }
    };

    walk(root, this.#nodes);
    return out;
  }

  /** Marks the objects held by map fields as maps (the JSON on the wire does not say which are). */
  #marked(data: unknown): unknown {
    const fields = this.#o.mapFields;
    if (!fields?.size) return data;
    const visit = (v: unknown): void => {
      if (Array.isArray(v)) return v.forEach(visit);
      if (!v || typeof v !== 'object') return;
      for (const [k, x] of Object.entries(v)) {
        if (fields.has(k) && x && typeof x === 'object' && !Array.isArray(x)) markMap(x);
        visit(x);
      }
    };
    visit(data);
    return data;
  }
}
