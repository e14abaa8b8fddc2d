// A Service's node ports: the daemon listens on each and forwards every TCP connection to one of
// the Service's Ready endpoints, round-robin (kube-proxy's userspace mode, the simplest that needs
// no iptables rules and follows endpoints as they change). A node port asked for is bound or is a
// ConflictError; one left out is a free port of Kubernetes' range 30000-32767. Backends change in
// place: connections already made stay where they are.
import { createConnection, createServer, type Server } from 'node:net';
import { ConflictError } from '../specs/errdefs.ts';

export interface Endpoint {
  host: string;
  port: number;
}

export interface NodePortRule {
  /** Which port of the Service (its name, or its number). */
  key: string;
  nodePort?: number;
  endpoints: Endpoint[];
}

interface Listener {
  server: Server;
  nodePort: number;
  endpoints: Endpoint[];
  next: number;
}

const RANGE = [30000, 32767] as const;

export class ServiceProxy {
  readonly #listeners = new Map<string, Map<string, Listener>>();

  /** Makes the Service's node ports match `rules`; returns the node port of each rule's key. */
  async publish(service: string, rules: NodePortRule[]): Promise<Map<string, number>> {
    const mine = this.#listeners.get(service) ?? new Map<string, Listener>();
    this.#listeners.set(service, mine);
    for (const [key, l] of mine) {
      const rule = rules.find((r) => r.key === key);
      if (!rule || (rule.nodePort !== undefined && rule.nodePort !== l.nodePort)) {
        l.server.close();
        mine.delete(key);
      }
    }
    const out = new Map<string, number>();
    for (const rule of rules) {
      let l = mine.get(rule.key);
      if (!l) {
        l = { server: createServer(), nodePort: 0, endpoints: [], next: 0 };
        const listener = l;
        l.server.on('connection', (sock) => {
          const eps = listener.endpoints;
          if (!eps.length) return void sock.destroy();
          const ep = eps[listener.next++ % eps.length]!;
          const upstream = createConnection({ host: ep.host, port: ep.port });
          sock.pipe(upstream).pipe(sock);
          const end = () => {
            sock.destroy();
            upstream.destroy();
          };
          sock.on('error', end);
          upstream.on('error', end);
        });
        l.nodePort = await listen(l.server, service, rule.nodePort);
        mine.set(rule.key, l);
      }
      l.endpoints = rule.endpoints;
      out.set(rule.key, l.nodePort);
    }
    return out;
  }

  /** Closes the Service's node ports (idempotent). */
  unpublish(service: string): void {
    for (const l of this.#listeners.get(service)?.values() ?? []) l.server.close();
    this.#listeners.delete(service);
  }

  close(): void {
    for (const s of [...this.#listeners.keys()]) this.unpublish(s);
  }
}

function bind(server: Server, port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (err.code === 'EADDRINUSE') resolve(false);
      else reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve(true);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port);
  });
}

async function listen(server: Server, service: string, nodePort: number | undefined): Promise<number> {
  if (nodePort !== undefined) {
    if (await bind(server, nodePort)) return nodePort;
    throw new ConflictError(`service "${service}": node port ${nodePort} is already in use on this host; choose another nodePort or leave it out`);
  }
  const span = RANGE[1] - RANGE[0] + 1;
  const start = Math.floor(Math.random() * span);
  for (let i = 0; i < span; i++) {
    const port = RANGE[0] + ((start + i) % span);
    if (await bind(server, port)) return port;
  }
  throw new ConflictError(`service "${service}": no free node port in ${RANGE[0]}-${RANGE[1]}`);
}
