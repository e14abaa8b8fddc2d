// `inspect`, `container inspect`, `image inspect`: Docker's JSON of containers and images, or a Go
// template (-f/--format) run on each. Each name is looked up as a container (name, id or id
// prefix), then as an image, unless --type says which; what is not found is said on stderr, the
// rest is printed, and the exit code is 1 (as Docker's).
import { InvalidArgumentError, NotFoundError, UnavailableError } from '../../specs/errdefs.ts';
import { DOCKER_MAP_FIELDS } from '../../specs/api/docker.ts';
import { GoTemplate } from '../../specs/gotemplate/exec.ts';
import { goJson } from '../../specs/gotemplate/values.ts';
import type { ApiClient } from '../client.ts';
import { formatDockerJson } from '../output.ts';

export interface InspectOptions {
  format?: string;
  type?: string;
}

async function lookup(client: ApiClient, name: string, type: string | undefined): Promise<unknown> {
  if (type !== 'image') {
    try {
      return await client.json('GET', `/v1/containers/${encodeURIComponent(name)}/json`);
    } catch (err) {
      if (!(err instanceof NotFoundError) || type === 'container') throw err;
    }
  }
  try {
    return await client.json('GET', '/v1/images/json', { query: { ref: name } });
  } catch (err) {
    // A daemon without images (no engine) has none to find.
    if (err instanceof NotFoundError || err instanceof InvalidArgumentError || err instanceof UnavailableError) throw new NotFoundError(`No such object: ${name}`);
    throw err;
  }
}

export async function inspect(client: ApiClient, names: string[], o: InspectOptions = {}): Promise<number> {
  if (o.type !== undefined && o.type !== 'container' && o.type !== 'image') throw new InvalidArgumentError(`--type "${o.type}" must be container or image`);
  // As Docker: a bad template is refused before anything is looked up.
  const template = o.format && o.format !== 'json' ? new GoTemplate(o.format.replaceAll('\\t', '\t').replaceAll('\\n', '\n'), { mapFields: DOCKER_MAP_FIELDS }) : undefined;
  const found: unknown[] = [];
  let failed = false;
  for (const n of names) {
    try {
      found.push(await lookup(client, n, o.type));
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      failed = true;
      process.stderr.write(`error: ${err.message.startsWith('No such object') ? err.message : `No such object: ${n}`}\n`);
    }
  }
  if (template) process.stdout.write(found.map((v) => `${template.execute(v)}\n`).join(''));
  else if (o.format === 'json') process.stdout.write(found.map((v) => `${goJson(v)}\n`).join(''));
  else process.stdout.write(formatDockerJson(found));
  return failed ? 1 : 0;
}
