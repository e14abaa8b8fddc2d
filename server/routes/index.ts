// Every API route module. A module is `server/routes/<domain>.ts` with
// `export default function routes(ctx: DaemonContext): Route[]`; add yours to this list.
import type { Route, RouteModule } from '../api.ts';
import type { DaemonContext } from '../context.ts';
import build from './build.ts';
import containers from './containers.ts';
import events from './events.ts';
import images from './images.ts';
import networks from './networks.ts';
import objects from './objects.ts';
import system from './system.ts';
import volumes from './volumes.ts';

export const routeModules: RouteModule[] = [system, objects, events, containers, images, networks, volumes, build];

export function allRoutes(ctx: DaemonContext): Route[] {
  return routeModules.flatMap((m) => m(ctx));
}
