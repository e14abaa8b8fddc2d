// Debian's docker CLI and docker-compose 1.29 against a test world's Docker API socket, each with a
// config directory of its own and nothing of the caller's environment but PATH: for the e2e files
// that drive berth through Docker's own tools; and plain HTTP requests for what no well-behaved
// client sends.
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import type { World } from './helpers.ts';

/** /usr/local/bin/docker is another client. */
export const DOCKER = '/usr/bin/docker';
export const COMPOSE = '/usr/bin/docker-compose';

export interface DockerResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment of a docker client of world `w`: its socket, a config directory of its own, PATH. */
export function dockerEnv(w: World): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '', DOCKER_HOST: `unix://${join(w.dir, 'docker.sock')}`, DOCKER_CONFIG: join(w.dir, 'docker-config') };
}

function runTool(w: World, tool: string, args: string[], input?: string): Promise<DockerResult> {
  return new Promise((resolve) => {
    const child = execFile(tool, args, { cwd: w.dir, env: dockerEnv(w), maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** Debian's docker CLI against berth's Docker socket. */
export function dockerCli(w: World): (args: string[], o?: { input?: string }) => Promise<DockerResult> {
  return (args, o = {}) => runTool(w, DOCKER, args, o.input);
}

/** docker-compose on project `project` of the compose file `file`. */
export function composeCli(w: World, project: string, file: string): (args: string[]) => Promise<DockerResult> {
  return (args) => runTool(w, COMPOSE, ['--ansi', 'never', '-p', project, '-f', file, ...args]);
}

export interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/**
 * One HTTP request on the Docker socket as given: the body as bytes (chunked when `chunked`), any
 * headers (an Upgrade that the server may refuse with an ordinary response).
 */
export function rawDockerRequest(w: World, method: string, path: string, o: { body?: Buffer | string; headers?: Record<string, string>; chunked?: boolean } = {}): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const body = o.body === undefined ? undefined : Buffer.from(o.body);
    const req = request({
      socketPath: join(w.dir, 'docker.sock'),
      method,
      path,
      headers: { ...(body ? { 'content-type': 'application/json', ...(o.chunked ? {} : { 'content-length': String(body.length) }) } : {}), ...o.headers },
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, headers: res.headers, text: '' });
    });
    req.on('error', reject);
    if (body && o.chunked) for (let i = 0; i < body.length; i += 1 << 20) req.write(body.subarray(i, i + (1 << 20)));
    req.end(body && !o.chunked ? body : undefined);
  });
}
