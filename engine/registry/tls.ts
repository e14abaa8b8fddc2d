// Per-registry TLS, as Docker's /etc/docker/certs.d and containerd's certs.d: a directory per
// registry host, <certs-dir>/<host[:port]>/, holding `*.crt` (CA certificates trusted for that host
// on top of the system's) and `<name>.cert` + `<name>.key` (a client certificate and its key).
// Read at each request (a new file counts at once, as Docker reads it on each pull), checked
// before use, so that a bad file is an error naming its path rather than a failed handshake.
// Requests to such a host go through an https Agent of its own (transport.ts), made from them.
import { createHash, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isIP } from 'node:net';
// rootCertificates through the module: bin/daemon-bundle.cjs says why.
import nodeTls, { connect } from 'node:tls';
import { Agent } from 'node:https';
import { agentOptions, closeIdle } from './transport.ts';
import { InvalidArgumentError } from '../../specs/errdefs.ts';

export const DEFAULT_CERTS_DIR = '/etc/berth/certs.d';

/** What a host's directory holds, checked. */
export interface HostTls {
  dir: string;
  /** PEM CA certificates (from every *.crt). */
  ca: string[];
  /** The client certificate and its key (one <name>.cert + <name>.key pair). */
  cert?: string;
  key?: string;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

async function readPem(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new InvalidArgumentError(`cannot read ${path}: ${(err as Error).message}; fix or remove it`);
  }
}

/** The PEM certificates of a file, each parsed (a bundle may hold several). */
function certificates(path: string, text: string): X509Certificate[] {
  const blocks = text.match(PEM_CERT) ?? [];
  if (!blocks.length) throw new InvalidArgumentError(`${path} holds no PEM certificate (-----BEGIN CERTIFICATE-----); fix or remove it`);
  return blocks.map((b) => {
    try {
      return new X509Certificate(b);
    } catch (err) {
      throw new InvalidArgumentError(`${path} is not a valid certificate: ${(err as Error).message}; fix or remove it`);
    }
  });
}

function privateKey(path: string, text: string): KeyObject {
  try {
    return createPrivateKey(text);
  } catch (err) {
    throw new InvalidArgumentError(`${path} is not a valid PEM private key: ${(err as Error).message}; fix or remove it`);
  }
}

/**
 * The TLS files for `host` (host[:port] as requests name it) under `certsDir`; undefined when it
 * has no directory there. The pairing rules are Docker's: every .cert needs its .key and the
 * other way round (a CA given as .cert is the usual mistake: CAs end in .crt).
 */
export async function readHostTls(certsDir: string, host: string): Promise<HostTls | undefined> {
  const dir = join(certsDir, host);
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new InvalidArgumentError(`cannot read the registry certificates directory ${dir}: ${(err as Error).message}`);
  }
  const out: HostTls = { dir, ca: [] };
  const pairs: string[] = [];
  for (const name of names) {
    const path = join(dir, name);
    if (name.endsWith('.crt')) {
      const text = await readPem(path);
      certificates(path, text);
      out.ca.push(text);
    } else if (name.endsWith('.cert')) {
      const keyName = `${name.slice(0, -'.cert'.length)}.key`;
      if (!names.includes(keyName)) throw new InvalidArgumentError(`missing key ${join(dir, keyName)} for the client certificate ${path} (CA certificates must end in .crt)`);
      pairs.push(name.slice(0, -'.cert'.length));
    } else if (name.endsWith('.key')) {
      const certName = `${name.slice(0, -'.key'.length)}.cert`;
      if (!names.includes(certName)) throw new InvalidArgumentError(`missing client certificate ${join(dir, certName)} for the key ${path}`);
    }
  }
  // Node takes one certificate chain per key type: one client certificate per registry.
  if (pairs.length > 1) throw new InvalidArgumentError(`${dir} holds ${pairs.length} client certificates (${pairs.map((p) => `${p}.cert`).join(', ')}); keep one`);
  if (pairs.length) {
    const certPath = join(dir, `${pairs[0]}.cert`);
    const keyPath = join(dir, `${pairs[0]}.key`);
    const [cert, key] = [await readPem(certPath), await readPem(keyPath)];
    const leaf = certificates(certPath, cert)[0]!;
    if (!leaf.checkPrivateKey(privateKey(keyPath, key))) throw new InvalidArgumentError(`${keyPath} is not the key of the client certificate ${certPath}; put the matching pair there`);
    out.cert = cert;
    out.key = key;
  }
  return out;
}

/** One https Agent per host and content of its files: connections are reused until the files change. */
export class RegistryTls {
  #dir: string;
  readonly #agents = new Map<string, { sig: string; agent: Agent }>();

  constructor(certsDir = DEFAULT_CERTS_DIR) {
    this.#dir = certsDir;
  }

  get dir(): string {
    return this.#dir;
  }

  /** Another directory (a daemon's reload); connections made with the old files close when idle. */
  setDir(certsDir: string): void {
    if (certsDir === this.#dir) return;
    this.#dir = certsDir;
    this.close();
  }

  /** The host's files, checked, or undefined when it has no directory. */
  files(host: string): Promise<HostTls | undefined> {
    return readHostTls(this.#dir, host);
  }

  /** The agent for requests to `host` with its files (as files() read them). */
  agent(host: string, tls: HostTls): Agent {
    const sig = createHash('sha256').update(JSON.stringify(tls)).digest('hex');
    const cached = this.#agents.get(host);
    if (cached?.sig === sig) return cached.agent;
    if (cached) closeIdle(cached.agent);
    const agent = new Agent(
      agentOptions({
        // Added to the system's CAs (as Docker adds them to the system pool), not instead of them.
        ...(tls.ca.length ? { ca: [...nodeTls.rootCertificates, ...tls.ca] } : {}),
        ...(tls.cert ? { cert: tls.cert, key: tls.key } : {}),
      }),
    );
    this.#agents.set(host, { sig, agent });
    return agent;
  }

  close(): void {
    for (const { agent } of this.#agents.values()) closeIdle(agent);
    this.#agents.clear();
  }
}

/** OpenSSL's codes for a server certificate that does not verify. */
const UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * What a TLS failure of a request to `host` means and what to do, or undefined when `cause` (the
 * request's error) is not one; a TLS failure would fail again the same way, so
 * it is not retried.
 */
export function tlsFailureHint(cause: NodeJS.ErrnoException | undefined, host: string, certsDir: string): string | undefined {
  const code = cause?.code ?? '';
  const dir = join(certsDir, host);
  if (UNTRUSTED.has(code)) return `the server's certificate is not trusted (${cause!.message}); if the registry uses its own CA, put that CA in ${join(dir, 'ca.crt')}`;
  if (/alert (certificate required|bad certificate|handshake failure|unknown ca)/i.test(cause?.message ?? '')) {
    return `the registry refused the TLS handshake (${cause!.message.replace(/^.*:(\w+ alert [^:]+):.*$/s, '$1')}); if it asks for a client certificate, put it in ${join(dir, 'client.cert')} and its key in ${join(dir, 'client.key')}`;
  }
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || code === 'EPROTO') return `TLS failed (${cause!.message})`;
  return undefined;
}

/**
 * The TLS alert a server sends a client it refuses (e.g. one without the client certificate it
 * requires). With TLS 1.3 it comes after the handshake, and a request may then see only a reset
 * connection: one connection made here, as the request's, tells the reason.
 */
export function handshakeAlert(url: URL, files: HostTls | undefined): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const socket = connect({
      host,
      port: Number(url.port || 443),
      ...(isIP(host) ? {} : { servername: host }),
      ...(files?.ca.length ? { ca: [...nodeTls.rootCertificates, ...files.ca] } : {}),
      ...(files?.cert ? { cert: files.cert, key: files.key } : {}),
    });
    const done = (err?: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(err);
    };
    const timer = setTimeout(() => done(), 5000);
    socket.on('secureConnect', () => socket.write(`HEAD /v2/ HTTP/1.1\r\nHost: ${url.host}\r\nConnection: close\r\n\r\n`));
    socket.on('error', (err) => done(err));
    socket.on('data', () => done());
    socket.on('end', () => done());
  });
}
