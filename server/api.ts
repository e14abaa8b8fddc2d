// The shape of an API route. Each domain has a module `server/routes/<domain>.ts` whose default
// export turns the daemon context into its routes; server/routes/index.ts lists the modules.
import type { IncomingMessage } from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import type { DaemonContext } from './context.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';

export interface ApiRequest {
  /** Path parameters, e.g. {kind, name} for /v1/objects/:kind/:name. */
  params: Record<string, string>;
  query: URLSearchParams;
  /** The parsed JSON body (undefined when empty, or when the route reads `raw` itself). */
  body: unknown;
  /** The request itself: for uploads (route.rawBody) read the body stream from here. */
  raw: IncomingMessage;
  /** Aborted when the client goes away: long-running handlers and streams stop on it. */
  signal: AbortSignal;
}

/**
 * A reply: a JSON document; a stream of NDJSON lines (progress, logs -f, events --follow, build
 * output) — an error thrown by the iterator becomes a last line `{"error": {kind, message}}`;
 * or raw bytes (e.g. `save` of an image tar).
 */
export type ApiReply =
  | { status?: number; json: unknown }
  | { status?: number; ndjson: AsyncIterable<unknown> }
  | { status?: number; contentType?: string; headers?: Record<string, string>; body: Buffer | Readable | AsyncIterable<Uint8Array> }
  | { status: 204 }
  /** A stream route (attach, exec start): the connection, once upgraded (server/streams/upgrade.ts). */
  | { hijack: HijackReply };

export interface HijackReply {
  /** Docker's application/vnd.docker.raw-stream (a terminal) or …multiplexed-stream. */
  contentType: string;
  /** Serves the streams on the upgraded connection; resolves when they end. */
  serve(socket: Duplex): Promise<void>;
}

export interface Route {
  method: HttpMethod;
  /** find-my-way syntax: /v1/objects/:kind/:name */
  path: string;
  /** The route reads the request body itself from req.raw (uploads); otherwise it is parsed as JSON. */
  rawBody?: boolean;
  /** The route answers with a hijacked connection (attach, exec start): only such a route takes `Upgrade: tcp`. */
  streams?: boolean;
  /** The route's hijack is served over a WebSocket (Docker's attach/ws): only such a route takes `Upgrade: websocket`. */
  websocket?: boolean;
  handler(req: ApiRequest): Promise<ApiReply>;
}

export type RouteModule = (ctx: DaemonContext) => Route[];

/** Shorthand for a JSON reply. */
export function json(value: unknown, status?: number): ApiReply {
  return status === undefined ? { json: value } : { status, json: value };
}

/** A query flag: present as `?follow`, `?follow=1` or `?follow=true`. */
export function queryFlag(query: URLSearchParams, name: string): boolean {
  const v = query.get(name);
  return v !== null && v !== '0' && v !== 'false';
}
