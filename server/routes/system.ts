// Daemon-wide routes: liveness and version.
import { API_VERSION } from '../../specs/schema.ts';
import type { Route } from '../api.ts';
import type { DaemonContext } from '../context.ts';

export default function routes(ctx: DaemonContext): Route[] {
  return [
    { method: 'GET', path: '/v1/ping', handler: async () => ({ json: { ok: true } }) },
    {
      method: 'GET',
      path: '/v1/version',
      handler: async () => ({
        json: { version: ctx.version, apiVersion: API_VERSION, node: process.version, root: ctx.root, pid: process.pid },
      }),
    },
  ];
}
