// Reading daemon.json: the text parsed with its locations, every key validated by the schema, and
// every problem reported at once, each as `file:line:col: key: what is wrong`. Nothing is returned
// unless the whole file is valid: the daemon never starts (or reloads) half-configured.
import { readFile } from 'node:fs/promises';
import { InvalidArgumentError, NotFoundError } from '../../specs/errdefs.ts';
import { formatPath, problemsFromIssues } from '../../specs/problems.ts';
import { parseLocatedJson, type LocatedJson } from './json.ts';
import { configSchema, type DaemonConfig } from './schema.ts';

export const DEFAULT_CONFIG_FILE = '/etc/berth/daemon.json';

/** One problem: where (file:line:col, or the flag or variable) and what. */
export interface ConfigProblem {
  where: string;
  message: string;
}

/** Thrown for any invalid setting; the message lists every problem, one line each. */
export class ConfigInvalidError extends InvalidArgumentError {
  readonly problems: ConfigProblem[];
  constructor(problems: ConfigProblem[], summary: string) {
    const sorted = [...problems].sort((a, b) => a.where.localeCompare(b.where, 'en', { numeric: true }));
    super(`${sorted.map((p) => `${p.where}: ${p.message}`).join('\n')}\n${summary}`);
    this.problems = sorted;
  }
}

export interface LoadedConfig {
  file: string;
  config: DaemonConfig;
  json: LocatedJson;
}

const plural = (n: number) => `${n} problem${n === 1 ? '' : 's'}`;

/** Validates a value (the file's, or the flags' gathered as keys) with the schema. */
export function validateConfig(
  value: unknown,
  whereOf: (path: Array<string | number>, onKey: boolean) => string,
  /** Name the key in each message (a file's problems; a flag's name says it already). */
  withKey = true,
): { config?: DaemonConfig; problems: ConfigProblem[] } {
  const result = configSchema.safeParse(value, { reportInput: true });
  if (result.success) return { config: result.data, problems: [] };
  const problems = problemsFromIssues(result.error.issues, configSchema).map((p) => ({
    where: whereOf(p.path, p.onKey ?? false),
    message: `${withKey && p.path.length && !(p.onKey && p.path.length === 1) ? `${formatPath(p.path)}: ` : ''}${p.message.replace(/^unknown field/, 'unknown key')}`,
  }));
  return { problems };
}

/** Parses and validates daemon.json text; throws ConfigInvalidError listing every problem. */
export function parseConfig(file: string, text: string): LoadedConfig {
  const parsed = parseLocatedJson(file, text);
  if ('problems' in parsed) {
    throw new ConfigInvalidError(parsed.problems.map((p) => ({ where: `${p.file}:${p.line}:${p.col}`, message: p.message })), `${plural(parsed.problems.length)} in ${file}`);
  }
  const { json } = parsed;
  if (json.value === null || typeof json.value !== 'object' || Array.isArray(json.value)) {
    throw new ConfigInvalidError([{ where: `${file}:1:1`, message: 'the configuration must be a JSON object of settings, e.g. {"registry-mirrors": ["https://mirror.example"]}' }], `1 problem in ${file}`);
  }
  const at = (path: Array<string | number>, onKey: boolean) => {
    const l = json.locate(path, onKey);
    return `${l.file}:${l.line}:${l.col}`;
  };
  const { config, problems } = validateConfig(json.value, at);
  if (!config) throw new ConfigInvalidError(problems, `${plural(problems.length)} in ${file}`);
  return { file, config, json };
}

/**
 * Reads the file. A missing file is no configuration when it is the default one (a daemon runs
 * without it, as dockerd does), and an error when it was named.
 */
export async function loadConfigFile(file: string, o: { named: boolean }): Promise<LoadedConfig | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !o.named) return undefined;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`configuration file ${file} does not exist; create it or leave out --config-file`);
    throw new InvalidArgumentError(`cannot read the configuration file ${file}: ${(err as Error).message}`);
  }
  return parseConfig(file, text);
}
