// Debian's docker CLI and docker-compose 1.29 against a test world's Docker API socket, each with a
// config directory of its own and nothing of the caller's environment but PATH: for the e2e files
// that drive berth through Docker's own tools.
import { execFile } from 'node:child_process';
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

function runTool(w: World, tool: string, args: string[], input?: string): Promise<DockerResult> {
  return new Promise((resolve) => {
    const child = execFile(tool, args, { cwd: w.dir, env: { PATH: process.env.PATH ?? '', DOCKER_HOST: `unix://${join(w.dir, 'docker.sock')}`, DOCKER_CONFIG: join(w.dir, 'docker-config') }, maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
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
