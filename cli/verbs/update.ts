// `update [OPTIONS] CONTAINER...`: new limits and restart policy for running containers, applied live
// (the daemon's container service does it). Thin: the flags are read as Docker reads them, checked
// before any container is touched, then sent to each container; prints each name done, as Docker.
import type { ApiClient } from '../client.ts';
import { dockerUpdateRequest, type DockerUpdateFlags } from '../../specs/docker/update.ts';
import { eachName } from './containers.ts';

export async function update(client: ApiClient, names: string[], flags: DockerUpdateFlags): Promise<number> {
  const body = dockerUpdateRequest(flags);
  return eachName(names, async (name) => {
    await client.json('POST', `/v1/containers/${encodeURIComponent(name)}/update`, { body });
    process.stdout.write(`${name}\n`);
  });
}
