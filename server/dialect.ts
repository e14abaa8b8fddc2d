// The HTTP conventions of an API, apart from its routes (server/http.ts serves either).
import { BerthError, errorToJSON } from '../specs/errdefs.ts';

/**
 * How an API speaks HTTP beyond its routes: berth's own (`{error: {kind, message}}`), or Docker's
 * Engine API (server/docker-api/dialect.ts: a /v1.NN path prefix, `{message}` errors, its headers).
 */
export interface HttpDialect {
  /** The route path for a request's path (Docker's API takes its /v1.NN prefix off); throws a BerthError to refuse it. */
  routePath(path: string): string;
  /** An error reply before any header went out. */
  error(err: unknown): { status: number; json: unknown };
  /** The last line of a JSON stream that failed after its headers went out. */
  streamError(err: unknown): unknown;
  /** The content type of a stream of JSON values (NDJSON for berth; Docker's clients decode application/json). */
  jsonStreamType: string;
  /** Headers on every answer (Docker's Api-Version, Server). */
  headers: Record<string, string>;
  /** A stream route asked without "Upgrade: tcp" serves its streams as the response's body (as dockerd's hijack does) instead of refusing. */
  streamsWithoutUpgrade: boolean;
  /** JSON request bodies above this many bytes are refused (400) unread; uploads (rawBody routes) stream and have no such limit. */
  maxJsonBody: number;
}

export const BERTH_DIALECT: HttpDialect = {
  routePath: (path) => path,
  error: (err) => ({ status: err instanceof BerthError ? err.httpStatus : 500, json: { error: errorToJSON(err) } }),
  streamError: (err) => ({ error: errorToJSON(err) }),
  jsonStreamType: 'application/x-ndjson',
  headers: {},
  streamsWithoutUpgrade: false,
  // Manifests applied whole (a directory's objects in one request).
  maxJsonBody: 64 * 1024 * 1024,
};
