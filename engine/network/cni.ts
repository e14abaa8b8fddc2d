// Calling CNI plugins as the CNI spec (1.0) says: the plugin binary is found in CNI_PATH (a list of
// directories, searched in order: cniSearchPath() below), run with
// CNI_COMMAND / CNI_CONTAINERID / CNI_NETNS / CNI_IFNAME / CNI_PATH in its environment and its
// network configuration on stdin; it answers a result (ADD) or nothing (DEL, CHECK) on stdout, or
// an error object {code, msg, details} with a non-zero exit.
//
// A network configuration list runs its plugins in order for ADD, each one handed the previous
// one's result as prevResult; DEL runs them in reverse, each handed the cached result of the ADD
// (libcni does the same), and CHECK in order with that cached result. Runtime data (port mappings)
// goes to the plugins that declare the capability, as `runtimeConfig`.
import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { UnavailableError } from '../../specs/errdefs.ts';

export interface CniPluginConf {
  type: string;
  capabilities?: Record<string, boolean>;
  [key: string]: unknown;
}

export interface CniConfList {
  cniVersion: string;
  name: string;
  plugins: CniPluginConf[];
  [key: string]: unknown;
}

export interface CniResult {
  cniVersion: string;
  interfaces?: Array<{ name: string; mac?: string; sandbox?: string }>;
  ips?: Array<{ interface?: number; address: string; gateway?: string }>;
  routes?: Array<{ dst: string; gw?: string }>;
  dns?: unknown;
  [key: string]: unknown;
}

export interface CniRuntime {
  containerId: string;
  netns: string;
  ifName: string;
  /** Keyed by capability name, e.g. {portMappings: [...]}. */
  runtimeConfig?: Record<string, unknown>;
}

/** A plugin failed: its CNI error code and message. */
export class CniError extends Error {
  constructor(
    readonly plugin: string,
    readonly command: string,
    readonly code: number | undefined,
    msg: string,
  ) {
    super(`CNI plugin ${plugin} ${command} failed${code !== undefined ? ` (code ${code})` : ''}: ${msg}`);
    this.name = 'CniError';
  }
}

const PLUGIN_TIMEOUT_MS = 60_000;

/** Where plugins are usually installed: the CNI convention, Debian's containernetworking-plugins, Fedora's. */
export const DEFAULT_CNI_DIRS = ['/opt/cni/bin', '/usr/lib/cni', '/usr/libexec/cni'];

/**
 * The directories to look for plugins in, first to last: those given (berth daemon --cni-path), else
 * those of $CNI_PATH (colon-separated, as libcni reads it); then the usual places. Duplicates dropped.
 */
export function cniSearchPath(given?: string[], env: string | undefined = process.env.CNI_PATH): string[] {
  const first = given?.length ? given : (env ?? '').split(delimiter);
  return [...new Set([...first, ...DEFAULT_CNI_DIRS].map((d) => d.trim()).filter(Boolean))];
}

/** A plugin's ADD and DEL done in the daemon for the configurations it `handles` (bridge-native.ts, portmap-native.ts). */
export interface InProcessPlugin {
  handles(plugin: CniPluginConf, rt?: CniRuntime, list?: CniConfList): boolean;
  add(list: CniConfList, plugin: CniPluginConf, rt: CniRuntime, prevResult?: CniResult): Promise<CniResult>;
  del(list: CniConfList, plugin: CniPluginConf, rt: CniRuntime, cached: CniResult | undefined): Promise<void>;
}

export class Cni {
  /** The directories searched for plugins, in order; also the CNI_PATH plugins are given. */
  readonly binDirs: string[];
  /** Done in the daemon instead of by the plugin's process, for the configurations it handles. */
  readonly #inProcess: InProcessPlugin[];

  constructor(binDirs: string[], inProcess: InProcessPlugin[] = []) {
    this.binDirs = binDirs;
    this.#inProcess = inProcess;
  }

  #inProcessFor(list: CniConfList, plugin: CniPluginConf, rt: CniRuntime): InProcessPlugin | undefined {
    return this.#inProcess.find((p) => p.handles(plugin, rt, list));
  }

  async #binary(type: string): Promise<string> {
    if (!/^[a-zA-Z0-9_.-]+$/.test(type)) throw new UnavailableError(`CNI plugin type "${type}" is not a plain name`);
    for (const dir of this.binDirs) {
      const path = join(dir, type);
      try {
        await access(path, constants.X_OK);
        return path;
      } catch {
        // not in this directory
      }
    }
    throw new UnavailableError(
      `CNI plugin "${type}" is not installed: looked in ${this.binDirs.join(', ')}. Install the plugins (Debian: apt-get install containernetworking-plugins) or say where they are with \`berth daemon --cni-path DIR\` or CNI_PATH`,
    );
  }

  /** One plugin invocation; resolves to its parsed stdout (undefined when it printed nothing). */
  async exec(command: 'ADD' | 'DEL' | 'CHECK' | 'VERSION', conf: Record<string, unknown> & { type: string }, rt: CniRuntime): Promise<CniResult | undefined> {
    const bin = await this.#binary(conf.type);
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      CNI_COMMAND: command,
      CNI_CONTAINERID: rt.containerId,
      CNI_NETNS: rt.netns,
      CNI_IFNAME: rt.ifName,
      CNI_PATH: this.binDirs.join(delimiter),
    };
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(bin, [], { env, stdio: ['pipe', 'pipe', 'pipe'], timeout: PLUGIN_TIMEOUT_MS });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      child.on('error', reject);
      child.on('close', (c) => resolve({ code: c, stdout: out, stderr: err }));
      child.stdin.on('error', () => undefined); // a plugin that exits early closes its stdin
      child.stdin.end(JSON.stringify(conf));
    });
    if (code !== 0) {
      let parsed: { code?: number; msg?: string; details?: string } | undefined;
      try {
        parsed = JSON.parse(stdout) as typeof parsed;
      } catch {
        parsed = undefined;
      }
      const msg = parsed?.msg ? `${parsed.msg}${parsed.details ? `: ${parsed.details}` : ''}` : (stderr || stdout).trim() || `exit status ${code}`;
      throw new CniError(conf.type, command, parsed?.code, msg);
    }
    const text = stdout.trim();
    if (!text) return undefined;
    try {
      return JSON.parse(text) as CniResult;
    } catch {
      throw new CniError(conf.type, command, undefined, `printed something that is not JSON: ${text.slice(0, 200)}`);
    }
  }

  /** The plugin's configuration as the list hands it over: name, version, prevResult, runtimeConfig. */
  #pluginConf(list: CniConfList, plugin: CniPluginConf, rt: CniRuntime, prevResult: CniResult | undefined): Record<string, unknown> & { type: string } {
    const conf: Record<string, unknown> & { type: string } = { ...plugin, name: list.name, cniVersion: list.cniVersion };
    if (prevResult) conf.prevResult = prevResult;
    if (plugin.capabilities && rt.runtimeConfig) {
      const runtimeConfig: Record<string, unknown> = {};
      for (const [cap, on] of Object.entries(plugin.capabilities)) {
        if (on && rt.runtimeConfig[cap] !== undefined) runtimeConfig[cap] = rt.runtimeConfig[cap];
      }
      if (Object.keys(runtimeConfig).length) conf.runtimeConfig = runtimeConfig;
    }
    return conf;
  }

  async addList(list: CniConfList, rt: CniRuntime): Promise<CniResult> {
    let result: CniResult | undefined;
    for (const plugin of list.plugins) {
      const own = this.#inProcessFor(list, plugin, rt);
      const out = own ? await own.add(list, plugin, rt, result) : await this.exec('ADD', this.#pluginConf(list, plugin, rt, result), rt);
      // A chained plugin that prints nothing passes the previous result through.
      if (out) result = out;
    }
    if (!result) throw new CniError(list.plugins[0]?.type ?? '?', 'ADD', undefined, 'no plugin returned a result');
    return result;
  }

  async checkList(list: CniConfList, rt: CniRuntime, cached: CniResult): Promise<void> {
    for (const plugin of list.plugins) await this.exec('CHECK', this.#pluginConf(list, plugin, rt, cached), rt);
  }

  /**
   * DEL on every plugin, last first. A failing plugin does not stop the others (each removes what
   * it made); the first error is thrown at the end so the caller can retry — DEL is idempotent.
   * A plugin that is not installed is skipped: retrying could never run it.
   */
  async delList(list: CniConfList, rt: CniRuntime, cached: CniResult | undefined): Promise<void> {
    let first: unknown;
    for (const plugin of [...list.plugins].reverse()) {
      try {
        const own = this.#inProcessFor(list, plugin, rt);
        if (own) await own.del(list, plugin, rt, cached);
        else await this.exec('DEL', this.#pluginConf(list, plugin, rt, cached), rt);
      } catch (err) {
        if (!(err instanceof UnavailableError)) first ??= err;
      }
    }
    if (first) throw first;
  }
}
