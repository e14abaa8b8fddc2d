// Instructions that change only the image configuration (no layer): ENV, LABEL, CMD, ENTRYPOINT,
// EXPOSE, USER, WORKDIR, VOLUME, STOPSIGNAL, HEALTHCHECK, SHELL, ONBUILD, ARG, MAINTAINER — applied
// to a stage's state as Docker does, each returning the text its history entry records. Pure: the
// builder calls these and the tests check them on plain objects.
import { posix } from 'node:path';
import { constants } from 'node:os';
import { DockerfileError } from './errors.ts';
import type { Command, CommandForm } from './instructions.ts';
import { DEFAULT_SHELL, envSet, goQuoteList, type ImageConfig } from './image-config.ts';
import { parseDurationNs } from '../../specs/duration.ts';
import { expandWord, expandWords, WordError, type Env } from './words.ts';

/** Build args Docker passes to RUN without an ARG declaring them (and keeps out of history). */
export const PREDEFINED_ARGS = ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy'];

export interface StageState {
  image: ImageConfig;
  /** ARGs declared in this stage (in order) and their values; undefined: declared, no value. */
  args: Map<string, string | undefined>;
  /** CMD set by this stage (an ENTRYPOINT then keeps it). */
  cmdSet: boolean;
}

export interface DispatchContext {
  file: string;
  escape: string;
  /** --build-arg values. */
  buildArgs: ReadonlyMap<string, string>;
  /** Values of the global ARGs (before the first FROM). */
  metaArgs: ReadonlyMap<string, string | undefined>;
  /** Build args some ARG consumed (the rest are reported unused). */
  usedBuildArgs: Set<string>;
}

/** Variables for substitution at this point of a stage: ARGs with values, overridden by ENV. */
export function substitutionEnv(s: StageState): Map<string, string> {
  const m = new Map<string, string>();
  for (const [k, v] of s.args) if (v !== undefined) m.set(k, v);
  for (const e of s.image.config.Env ?? []) {
    const eq = e.indexOf('=');
    m.set(eq < 0 ? e : e.slice(0, eq), eq < 0 ? '' : e.slice(eq + 1));
  }
  return m;
}

/** The environment of a RUN: the image's Env plus the ARGs (ENV wins) and predefined proxy args. */
export function runEnv(s: StageState, ctx: DispatchContext): string[] {
  let env = [...(s.image.config.Env ?? [])];
  const has = (k: string) => env.some((e) => e.startsWith(`${k}=`));
  for (const [k, v] of s.args) if (v !== undefined && !has(k)) env.push(`${k}=${v}`);
  for (const k of PREDEFINED_ARGS) if (ctx.buildArgs.has(k) && !has(k)) env = envSet(env, k, ctx.buildArgs.get(k)!);
  return env;
}

/** ARGs with values, as a RUN's history shows them: `|2 A=1 B=2 `. */
export function argsPrefix(s: StageState): string {
  const pairs = [...s.args].filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`);
  return pairs.length ? `|${pairs.length} ${pairs.join(' ')} ` : '';
}

export function shellOf(s: StageState): string[] {
  return s.image.config.Shell?.length ? s.image.config.Shell : DEFAULT_SHELL;
}

/** A command form as the argv it runs: the shell form runs through the stage's SHELL. */
export function argvOf(form: CommandForm, s: StageState): string[] {
  return form.kind === 'exec' ? form.args : [...shellOf(s), form.cmd];
}

type Meta = Exclude<Command, { keyword: 'FROM' | 'RUN' | 'COPY' | 'ADD' }>;

export function isMetaCommand(c: Command): c is Meta {
  return !['FROM', 'RUN', 'COPY', 'ADD'].includes(c.keyword);
}

export function locatedFail(ctx: DispatchContext, c: { line: number; col: number; keyword: string }) {
  return (msg: string, cause?: unknown): never => {
    throw new DockerfileError({ file: ctx.file, line: c.line, col: c.col }, c.keyword, msg, cause ? { cause } : undefined);
  };
}

/** Expands a word, turning a malformed substitution into a located error. */
export function expander(ctx: DispatchContext, c: { line: number; col: number; keyword: string }, env: Env) {
  const fail = locatedFail(ctx, c);
  const wrap = <T>(f: () => T): T => {
    try {
      return f();
    } catch (err) {
      if (err instanceof WordError) return fail(err.message, err);
      throw err;
    }
  };
  return {
    word: (w: string) => wrap(() => expandWord(w, env, ctx.escape)),
    words: (w: string) => wrap(() => expandWords(w, env, ctx.escape)),
    fail,
  };
}

/** ENV and LABEL: each NAME=value pair expanded (a blank name is an error) and set in order. */
function applyPairs(c: Extract<Meta, { keyword: 'ENV' | 'LABEL' }>, ex: ReturnType<typeof expander>, set: (name: string, value: string) => void): string {
  const parts: string[] = [];
  for (const [k, v] of c.pairs) {
    const name = ex.word(k);
    const value = ex.word(v);
    if (!name) ex.fail(`${c.keyword} names can not be blank`);
    set(name, value);
    parts.push(`${name}=${value}`);
  }
  return `${c.keyword} ${parts.join(' ')}`;
}

/** Applies a config-only instruction; returns the text of its history entry. */
export function applyMeta(c: Meta, s: StageState, ctx: DispatchContext): string {
  const ex = expander(ctx, c, substitutionEnv(s));
  const cfg = s.image.config;
  switch (c.keyword) {
    case 'ENV':
      return applyPairs(c, ex, (name, value) => (cfg.Env = envSet(cfg.Env ?? [], name, value)));
    case 'LABEL':
      return applyPairs(c, ex, (name, value) => (cfg.Labels = { ...(cfg.Labels ?? {}), [name]: value }));
    case 'CMD': {
      cfg.Cmd = argvOf(c.form, s);
      cfg.ArgsEscaped = undefined;
      s.cmdSet = true;
      return `CMD ${goQuoteList(cfg.Cmd)}`;
    }
    case 'ENTRYPOINT': {
      cfg.Entrypoint = argvOf(c.form, s);
      // Docker: a CMD inherited from the base image does not fit a new entrypoint; one set in
      // this stage stays.
      if (!s.cmdSet) cfg.Cmd = null;
      return `ENTRYPOINT ${goQuoteList(cfg.Entrypoint)}`;
    }
    case 'EXPOSE': {
      const ports = { ...(cfg.ExposedPorts ?? {}) };
      for (const w of ex.words(c.text)) for (const p of exposedPorts(w, ex.fail)) ports[p] = {};
      cfg.ExposedPorts = ports;
      return `EXPOSE map[${Object.keys(ports).sort().map((p) => `${p}:{}`).join(' ')}]`;
    }
    case 'USER': {
      const user = ex.word(c.text);
      if (!user) ex.fail('USER requires a user name or uid');
      cfg.User = user;
      return `USER ${user}`;
    }
    case 'WORKDIR': {
      const dir = ex.word(c.text);
      if (!dir) ex.fail('WORKDIR requires a path');
      cfg.WorkingDir = posix.normalize(posix.isAbsolute(dir) ? dir : posix.join(cfg.WorkingDir || '/', dir)).replace(/(.)\/$/, '$1');
      return `WORKDIR ${cfg.WorkingDir}`;
    }
    case 'VOLUME': {
      const vols = c.json ? c.json.map((v) => ex.word(v)) : ex.words(c.text);
      const all = { ...(cfg.Volumes ?? {}) };
      for (const v of vols) {
        if (!v.trim()) ex.fail('VOLUME specified can not be an empty string');
        all[v] = {};
      }
      cfg.Volumes = all;
      return `VOLUME [${vols.join(' ')}]`;
    }
    case 'STOPSIGNAL': {
      const sig = ex.word(c.text);
      if (!validSignal(sig)) ex.fail(`invalid signal "${sig}": use a name (SIGTERM, TERM) or a number`);
      cfg.StopSignal = sig;
      return `STOPSIGNAL ${sig}`;
    }
    case 'HEALTHCHECK': {
      if (c.none) {
        cfg.Healthcheck = { Test: ['NONE'] };
        return 'HEALTHCHECK NONE';
      }
      const test = c.test!.kind === 'exec' ? ['CMD', ...c.test!.args] : ['CMD-SHELL', c.test!.cmd];
      const hc: NonNullable<typeof cfg.Healthcheck> = { Test: test };
      const dur = (flag: string, key: 'Interval' | 'Timeout' | 'StartPeriod' | 'StartInterval') => {
        const v = c.flags[flag];
        if (v === undefined) return;
        try {
          const ns = parseDurationNs(ex.word(v));
          if (ns !== 0 && ns < 1e6) ex.fail(`--${flag} cannot be less than 1ms`);
          hc[key] = ns;
        } catch (err) {
          if (err instanceof DockerfileError) throw err;
          ex.fail(`--${flag}: ${(err as Error).message}`);
        }
      };
      dur('interval', 'Interval');
      dur('timeout', 'Timeout');
      dur('start-period', 'StartPeriod');
      dur('start-interval', 'StartInterval');
      if (c.flags.retries !== undefined) {
        const r = Number(ex.word(c.flags.retries));
        if (!Number.isInteger(r) || r < 0) ex.fail(`--retries must be a non-negative integer, not "${c.flags.retries}"`);
        hc.Retries = r;
      }
      cfg.Healthcheck = hc;
      return `HEALTHCHECK ${c.original.replace(/^\S+\s+/, '')}`;
    }
    case 'SHELL':
      cfg.Shell = c.args;
      return `SHELL [${c.args.join(' ')}]`;
    case 'ONBUILD':
      cfg.OnBuild = [...(cfg.OnBuild ?? []), c.triggerText];
      return `ONBUILD ${c.triggerText}`;
    case 'MAINTAINER':
      s.image.author = ex.word(c.text);
      return `MAINTAINER ${s.image.author}`;
    case 'ARG': {
      const parts: string[] = [];
      for (const a of c.args) {
        let value: string | undefined;
        if (ctx.buildArgs.has(a.name)) {
          value = ctx.buildArgs.get(a.name);
          ctx.usedBuildArgs.add(a.name);
        } else if (a.value !== undefined) value = ex.word(a.value);
        else if (ctx.metaArgs.has(a.name)) value = ctx.metaArgs.get(a.name);
        s.args.set(a.name, value);
        parts.push(a.value !== undefined ? `${a.name}=${a.value}` : a.name);
      }
      return `ARG ${parts.join(' ')}`;
    }
  }
}

function exposedPorts(w: string, fail: (m: string) => never): string[] {
  const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(w);
  if (!m) return fail(`invalid port "${w}": use PORT, PORT/PROTO or START-END/PROTO (proto tcp, udp or sctp)`);
  const from = Number(m[1]);
  const to = m[2] ? Number(m[2]) : from;
  if (from < 1 || to > 65535 || to < from) return fail(`invalid port range "${w}"`);
  const proto = (m[3] ?? 'tcp').toLowerCase();
  const out: string[] = [];
  for (let p = from; p <= to; p++) out.push(`${p}/${proto}`);
  return out;
}

function validSignal(sig: string): boolean {
  if (/^\d+$/.test(sig)) return Number(sig) > 0 && Number(sig) < 65;
  const name = sig.toUpperCase().startsWith('SIG') ? sig.toUpperCase() : `SIG${sig.toUpperCase()}`;
  return name in constants.signals || /^SIGRTM(IN|AX)([+-]\d+)?$/.test(name);
}
