// Docker's container names ([a-zA-Z0-9][a-zA-Z0-9_.-]+: docker-compose's "demo_web_1") against
// berth's (lowercase DNS labels, as they become hostnames and DNS names). A Docker name that is not
// a berth name gets a berth name of its own — the name made valid plus a hash of the original, so
// "demo_web_1" and "demo-web-1" never collide — and the Docker name is kept in a label, which the
// Docker API answers to (lookups, Names, inspect's Name, the name filter) and shows nowhere else.
import { createHash } from 'node:crypto';
import { InvalidArgumentError } from '../errdefs.ts';

export const DOCKER_NAME_LABEL = 'berth.dev/docker-name';

const DOCKER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const BERTH_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The Docker name a create asks for, without Docker's leading "/", or a 400 in dockerd's words. */
export function dockerName(asked: string): string {
  const n = asked.replace(/^\//, '');
  if (!DOCKER_NAME.test(n)) throw new InvalidArgumentError(`Invalid container name (${asked}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  return n;
}

/** The berth name for a Docker name: itself when valid, else made valid and told apart by a hash. */
export function berthNameFor(docker: string): string {
  if (docker.length <= 63 && BERTH_NAME.test(docker)) return docker;
  const hash = createHash('sha256').update(docker).digest('hex').slice(0, 8);
  const base = docker.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63 - hash.length - 1).replace(/-+$/, '');
  return base ? `${base}-${hash}` : `c-${hash}`;
}

/** The name Docker knows a container by: the kept Docker name, else its berth name. */
export const dockerNameOf = (name: string, labels: Record<string, string> | undefined): string => labels?.[DOCKER_NAME_LABEL] ?? name;

/** Labels as Docker shows them: without the kept Docker name. */
export function dockerLabels(labels: Record<string, string> | undefined): Record<string, string> {
  const { [DOCKER_NAME_LABEL]: _kept, ...rest } = labels ?? {};
  return rest;
}
