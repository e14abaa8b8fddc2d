// Docker's Engine API on a socket of its own (0660, the API socket's group). The socket is served
// from the daemon's start; the routes (index.ts and a module per area) load on the first request.
import type { DaemonContext, SocketGroup } from '../context.ts';
import { startServer, type ApiServer } from '../http.ts';
import { dockerDialect } from './dialect.ts';

export function serveDockerApi(ctx: DaemonContext, socket: string, o: { group?: SocketGroup } = {}): Promise<ApiServer> {
  return startServer(async () => (await import('./index.ts')).dockerRoutes(ctx), socket, ctx.log.child({ component: 'docker-api' }), { ...o, dialect: dockerDialect(ctx.version) });
}
