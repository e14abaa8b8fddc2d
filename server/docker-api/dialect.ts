// Docker's Engine API over HTTP: paths with or without a /v1.NN prefix (1.24 to 1.41, what
// Debian's docker 20.10 and docker-compose 1.29 speak; a client negotiates through /_ping's
// Api-Version header), errors as `{"message": …}` with the statuses clients test for, and a
// stream route asked without "Upgrade: tcp" answering its streams as the body (as dockerd does).
import { BerthError, InvalidArgumentError } from '../../specs/errdefs.ts';
import type { HttpDialect } from '../dialect.ts';

export const DOCKER_API_VERSION = '1.41';
export const DOCKER_MIN_API_VERSION = '1.24';
/**
 * The largest JSON body taken (create, exec, update, network create, auth): dockerd sets none, and
 * its bodies are small — tens of KiB when an editor's exec carries its whole environment, and a
 * container's arguments and environment together cannot pass the kernel's 2 MiB anyway — so 10
 * MiB refuses only what is no Docker request, before it is held in memory. Uploads (build
 * contexts, archives, image tars) stream and have no limit.
 */
export const DOCKER_MAX_JSON_BODY = 10 * 1024 * 1024;

const num = (v: string) => {
  const [major, minor] = v.split('.').map(Number);
  return major! * 1000 + minor!;
};

/** The route path of /v1.NN/PATH or PATH; a version outside 1.24–1.41 is refused in dockerd's words. */
export function dockerRoutePath(path: string): string {
  const m = /^\/v(\d+\.\d+)(\/.*)$/.exec(path);
  if (!m) return path;
  const v = m[1]!;
  if (num(v) < num(DOCKER_MIN_API_VERSION)) throw new InvalidArgumentError(`client version ${v} is too old. Minimum supported API version is ${DOCKER_MIN_API_VERSION}, please upgrade your client to a newer version`);
  if (num(v) > num(DOCKER_API_VERSION)) throw new InvalidArgumentError(`client version ${v} is too new. Maximum supported API version is ${DOCKER_API_VERSION}`);
  return m[2]!;
}

/**
 * The status dockerd gives each class: a precondition that does not hold (a running container
 * removed, a stopped one exec'd into) is its 409 Conflict.
 */
export function dockerStatus(err: unknown): number {
  if (!(err instanceof BerthError)) return 500;
  return err.httpStatus === 412 ? 409 : err.httpStatus === 503 ? 500 : err.httpStatus;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

export function dockerDialect(version: string): HttpDialect {
  return {
    routePath: dockerRoutePath,
    error: (err) => ({ status: dockerStatus(err), json: { message: message(err) } }),
    // Docker's JSON message stream (pull, push, build, load): the error as its last message.
    streamError: (err) => ({ errorDetail: { message: message(err) }, error: message(err) }),
    jsonStreamType: 'application/json',
    headers: { 'Api-Version': DOCKER_API_VERSION, 'Docker-Experimental': 'false', Ostype: 'linux', Server: `berth/${version} (linux)` },
    streamsWithoutUpgrade: true,
    maxJsonBody: DOCKER_MAX_JSON_BODY,
  };
}
