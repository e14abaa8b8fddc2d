// Docker's Engine API (v1.41, down to 1.24) on a socket of its own, so that the docker CLI,
// docker-compose and the SDKs drive berth: the routes of each area (a module per area, each a
// thin translation onto the services berth's own API uses), and a 501 for what berth does not
// offer at all (swarm and its services, secrets, configs, nodes, tasks; plugins; distribution).
import { UnimplementedError } from '../../specs/errdefs.ts';
import type { HttpMethod, Route } from '../api.ts';
import type { DaemonContext } from '../context.ts';
import build from './build.ts';
import containers from './containers.ts';
import events from './events.ts';
import exec from './exec.ts';
import images from './images.ts';
import networks from './networks.ts';
import system from './system.ts';
import volumes from './volumes.ts';

const NOT_OFFERED: Array<[string, string]> = [
  ['/swarm', 'swarm mode'], ['/services', 'swarm services'], ['/tasks', 'swarm tasks'], ['/nodes', 'swarm nodes'],
  ['/secrets', 'swarm secrets'], ['/configs', 'swarm configs'], ['/plugins', 'plugins'], ['/distribution', 'registry distribution inspection'],
  ['/session', 'BuildKit sessions'],
];

function notOffered(): Route[] {
  const methods: HttpMethod[] = ['GET', 'POST', 'PUT', 'DELETE', 'HEAD'];
  return NOT_OFFERED.flatMap(([prefix, what]) =>
    [prefix, `${prefix}/*`].flatMap((path) =>
      methods.map((method): Route => ({
        method,
        path,
        handler: async () => {
          throw new UnimplementedError(`${what} (${prefix}) is not supported by berth: it runs containers on one host`);
        },
      })),
    ),
  );
}

/** Single endpoints berth does not offer, each with what to do instead. */
const NOT_OFFERED_ROUTES: Array<[HttpMethod, string, string]> = [
  ['POST', '/build/prune', 'pruning the build cache (docker builder prune) is not supported by berth yet'],
];

export function dockerRoutes(ctx: DaemonContext): Route[] {
  const single = NOT_OFFERED_ROUTES.map(([method, path, message]): Route => ({
    method,
    path,
    handler: async () => {
      throw new UnimplementedError(message);
    },
  }));
  return [...system(ctx), ...containers(ctx), ...exec(ctx), ...images(ctx), ...build(ctx), ...networks(ctx), ...volumes(ctx), ...events(ctx), ...notOffered(), ...single];
}

