// Serves /metrics on --metrics-addr ("host:port"; port 0 picks a free one), apart from the API
// socket so that Prometheus can scrape it over TCP without reaching the API.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvalidArgumentError } from '../specs/errdefs.ts';
import { withDateHeader } from './http.ts';
import type { BerthMetrics } from '../controllers/metrics.ts';

export interface MetricsServer {
  /** "http://host:port/metrics" */
  url: string;
  close(): Promise<void>;
}

export function parseAddr(addr: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(addr);
  if (!m || Number(m[3]) > 65535) {
    throw new InvalidArgumentError(`--metrics-addr "${addr}" is not host:port (e.g. 127.0.0.1:9323, or :9323 for every address)`);
  }
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port: Number(m[3]) };
}

export async function serveMetrics(metrics: BerthMetrics, addr: string): Promise<MetricsServer> {
  const { host, port } = parseAddr(addr);
  const server: Server = createServer(withDateHeader((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics is served here\n');
      return;
    }
    metrics.expose().then(
      ({ contentType, body: [own, containers] }) => {
        res.writeHead(200, { 'content-type': contentType, 'content-length': own.length + containers.length });
        res.write(own);
        res.end(containers);
      },
      (err) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`collecting metrics failed: ${String(err)}\n`),
    );
  }));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  const shown = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  return {
    url: `http://${shown}:${a.port}/metrics`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
