// `npm run bench -- build [rounds]`: a multi-step Dockerfile (FROM scratch + busybox, COPY, RUN,
// ENV, WORKDIR…) built by berth (a daemon with its default runtime, the native launcher, started as
// a user starts it: fleet.ts spawnBerthDaemon) and by
// Docker (a private dockerd, classic builder: the docker CLI here has no buildx), interleaved, cold
// (no cache) and rebuilding an unchanged context. Each is measured two ways:
//  - API: one build request from this process to the daemon's unix socket (berth: POST /v1/build
//    with the context path; Docker: POST /build with the context as a tar, which its API needs) —
//    the builders' own cost, no client start-up;
//  - CLI: `berth build` (bin/berth, as a user runs it: its native front answers `build` with one
//    request naming the context directory) vs `docker build`, start-up of each CLI included.
// Ends with the report() line of the unchanged rebuild through the CLI: what a user waits on.
import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { request } from 'node:http';
import * as tar from 'tar';
import { startDockerd } from './dockerd.ts';
import { spawnBerthDaemon } from './fleet.ts';
import { interleave, median, report } from './lib.ts';

const exec = promisify(execFile);
const BERTH = new URL('../bin/berth', import.meta.url).pathname;

const DOCKERFILE = `FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
ENV APP=/app MODE=bench
WORKDIR /app
COPY src/ ./src/
RUN for f in src/*.txt; do cat "$f"; done > all.txt && wc -c all.txt > size
RUN mkdir -p /var/cache/x && echo "$MODE" > /var/cache/x/mode && rm -f src/0.txt
LABEL bench=build
CMD ["cat", "/app/size"]
`;

export default async function main(args: string[]): Promise<void> {
  const rounds = Number(args[0] ?? 5);
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-build-'));
  const ctx = join(dir, 'ctx');
  mkdirSync(join(ctx, 'src'), { recursive: true });
  copyFileSync('/bin/busybox', join(ctx, 'busybox'));
  chmodSync(join(ctx, 'busybox'), 0o755);
  for (let i = 0; i < 50; i++) writeFileSync(join(ctx, 'src', `${i}.txt`), `file ${i} `.repeat(200));
  writeFileSync(join(ctx, 'Dockerfile'), DOCKERFILE);
  const daemon = await spawnBerthDaemon(dir);
  const dockerd = await startDockerd();
  const { env, client } = daemon;
  const berth = async (extra: string[]) => {
    await exec(BERTH, ['build', '-q', '-t', 'localhost/bench:1', ...extra, ctx], { env });
  };
  // The classic builder: this docker CLI has no buildx plugin for BuildKit.
  process.env.DOCKER_BUILDKIT = '0';
  const docker = async (extra: string[]) => {
    await dockerd.docker(['build', '-q', '-t', 'localhost/bench:1', ...extra, ctx]);
  };
  const berthApi = async (nocache: boolean) => {
    for await (const e of client.stream<{ type: string }>('POST', '/v1/build', { query: { t: 'localhost/bench:2', context: ctx, nocache } })) void e;
  };
  const dockerApi = (nocache: boolean) =>
    new Promise<void>((resolve, reject) => {
      const req = request({ socketPath: dockerd.socket, method: 'POST', path: `/build?t=localhost/bench:2&q=1${nocache ? '&nocache=1' : ''}`, headers: { 'content-type': 'application/x-tar' } }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => (res.statusCode === 200 && !body.includes('"error"') ? resolve() : reject(new Error(`docker build: ${res.statusCode} ${body}`))));
      });
      req.on('error', reject);
      tar.c({ cwd: ctx, portable: true }, ['.']).pipe(req);
    });
  const line = (what: string, r: Record<string, number[]>) => {
    const b = median(r.berth!);
    const d = median(r.docker!);
    console.log(`${what}: berth ${b.toFixed(0)} ms, docker ${d.toFixed(0)} ms, ratio ${(b / d).toFixed(3)}`);
  };
  try {
    const coldCli = await interleave(rounds, { berth: () => berth(['--no-cache']), docker: () => docker(['--no-cache']) });
    const coldApi = await interleave(rounds, { berth: () => berthApi(true), docker: () => dockerApi(true) });
    line('cold build, API (nocache)', coldApi);
    const warmCli = await interleave(rounds * 2, { berth: () => berth([]), docker: () => docker([]) });
    const warmApi = await interleave(rounds * 2, { berth: () => berthApi(false), docker: () => dockerApi(false) });
    line('unchanged rebuild, API', warmApi);
    line('cold build, CLI (--no-cache)', coldCli);
    report('build', median(warmCli.berth!), 'docker', median(warmCli.docker!), 'ms');
  } finally {
    await dockerd.stop();
    await daemon.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
