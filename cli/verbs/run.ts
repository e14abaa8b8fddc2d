// `run` (and `create`): Docker's flags → a Container object (specs/docker/run.ts), then, for run,
// its output followed until it exits (its exit code is ours) or, with -d, its id printed.
import { readFile } from 'node:fs/promises';
import { InvalidArgumentError, UnavailableError } from '../../specs/errdefs.ts';
import { dockerRunRequest, type DockerRunOptions } from '../../specs/docker/run.ts';
import type { LogEntry, RunEvent } from '../../specs/api/containers.ts';
import type { ApiClient } from '../client.ts';

export interface RunCliOptions extends Omit<DockerRunOptions, 'envFiles'> {
  envFile?: string[];
}

/** The request for POST /v1/containers: --env-file files are read here, on the client, as Docker's. */
export async function runRequest(image: string, args: string[], o: RunCliOptions): Promise<ReturnType<typeof dockerRunRequest>> {
  const envFiles = await Promise.all(
    (o.envFile ?? []).map(async (file) => ({
      file,
      text: await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
        throw new InvalidArgumentError(`--env-file ${file}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
      }),
    })),
  );
  return dockerRunRequest(image, args, { ...o, envFiles }, process.env);
}

export function printLog(e: LogEntry, timestamps: boolean): void {
  const out = e.stream === 'stderr' ? process.stderr : process.stdout;
  out.write(timestamps ? `${e.time} ${e.log}` : e.log);
}

export async function run(client: ApiClient, image: string, args: string[], o: RunCliOptions): Promise<number> {
  const { volumesToCreate, ...body } = await runRequest(image, args, o);
  // `--mount type=volume,…,volume-opt=…`: the volume is made with those options first (Docker's way).
  for (const v of volumesToCreate ?? []) await client.json('POST', '/v1/volumes', { body: v });
  // One request: the daemon creates the container, answers once it started, streams its output and
  // ends with its exit code — after removing it for --rm in the foreground (with -d the spec says so).
  let name: string | undefined;
  const onSignal = () => void (name && client.json('POST', `/v1/containers/${name}/stop`).catch(() => undefined));
  process.on('SIGINT', onSignal);
  try {
    for await (const e of client.stream<RunEvent>('POST', '/v1/containers/run', { body, query: { detach: o.detach, rm: o.rm && !o.detach } })) {
      if (e.type === 'started') {
        name = e.name;
        if (o.detach) process.stdout.write(`${e.id}\n`);
      } else if (e.type === 'log') printLog(e, false);
      else if (e.type === 'exit') return e.exitCode ?? 125;
    }
    if (o.detach) return 0;
    throw new UnavailableError(`the daemon ended \`run\` of container "${name ?? body.name ?? '?'}" before its exit code: see \`berth describe container ${name ?? body.name ?? ''}\``);
  } finally {
    process.off('SIGINT', onSignal);
  }
}
