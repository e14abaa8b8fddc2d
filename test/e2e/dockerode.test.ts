// dockerode (the Node client most Node tools use, testcontainers among them) drives berth through
// the Docker Engine API: pull from the loopback registry, create, start, logs (demultiplexed
// stdout/stderr frames), exec, putArchive/getArchive, wait, build from a tar context — real
// containers (runc) in a private network namespace.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import * as tar from 'tar';
import { insidePrivateNetns } from '../engine/network/harness.ts';
import { world, type World } from './helpers.ts';

/** A stream's bytes, whole. */
async function bytes(s: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of s) parts.push(Buffer.from(p));
  return Buffer.concat(parts);
}

/** The files of a tar archive, by path. */
async function untar(archive: Buffer): Promise<Map<string, string>> {
  const read: Array<Promise<[string, string]>> = [];
  const parser = new tar.Parser({ onReadEntry: (e) => read.push(bytes(e as unknown as Readable).then((b) => [e.path, b.toString()])) });
  await new Promise<void>((resolve, reject) => {
    parser.on('end', () => resolve());
    parser.on('error', reject);
    parser.end(archive);
  });
  return new Map(await Promise.all(read));
}

/** A multiplexed stream (logs, exec) split by dockerode into its stdout and stderr. */
async function demuxed(docker: Docker, s: Readable): Promise<{ stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  docker.modem.demuxStream(s, out, err);
  const ended = new Promise((r) => s.once('end', r));
  const [stdout, stderr] = await Promise.all([bytes(out), bytes(err), ended.then(() => (out.end(), err.end()))]);
  return { stdout: stdout.toString(), stderr: stderr.toString() };
}

/** A JSON message stream (pull, build) followed to its end, as dockerode's followProgress does. */
function progress(docker: Docker, s: NodeJS.ReadableStream): Promise<Array<Record<string, unknown>>> {
  return new Promise((resolve, reject) => docker.modem.followProgress(s, (err: Error | null, out: Array<Record<string, unknown>>) => (err ? reject(err) : resolve(out))));
}

if (insidePrivateNetns(import.meta.url)) {
  describe('dockerode drives berth', { timeout: 600_000 }, () => {
    let w: World;
    let docker: Docker;
    before(async () => {
      w = await world();
      await w.start({ dockerSocket: join(w.dir, 'docker.sock') });
      docker = new Docker({ socketPath: join(w.dir, 'docker.sock') });
    });
    after(async () => w?.teardown());

    it('pulls from the loopback registry with JSON progress', async () => {
      const messages = await progress(docker, await docker.pull(w.image));
      assert.ok(messages.some((m) => typeof m.status === 'string' && m.status.startsWith('Digest: sha256:')), JSON.stringify(messages));
      const img = await docker.getImage(w.image).inspect();
      assert.deepEqual(img.RepoTags, [w.image]);
    });

    it('create, start, logs (demultiplexed), exec, putArchive/getArchive, wait', async () => {
      const c = await docker.createContainer({ Image: w.image, name: 'node1', Cmd: ['sh', '-c', 'echo node-out; echo node-err >&2; while [ ! -f /tmp/go ]; do sleep 0.1; done; exit 3'] });
      await c.start();

      const exec = await c.exec({ Cmd: ['sh', '-c', 'echo in-exec; echo exec-err >&2; exit 4'], AttachStdout: true, AttachStderr: true });
      const execOut = await demuxed(docker, (await exec.start({ hijack: true, stdin: false })) as unknown as Readable);
      assert.deepEqual(execOut, { stdout: 'in-exec\n', stderr: 'exec-err\n' });
      assert.equal((await exec.inspect()).ExitCode, 4);

      const src = join(w.dir, 'put-src');
      await mkdir(src, { recursive: true });
      await writeFile(join(src, 'a.txt'), 'archived\n');
      await c.putArchive(await bytes(tar.c({ cwd: src }, ['a.txt']) as unknown as Readable), { path: '/tmp' });
      const got = await untar(await bytes((await c.getArchive({ path: '/tmp/a.txt' })) as unknown as Readable));
      assert.deepEqual([...got], [['a.txt', 'archived\n']]);

      // The container waits for /tmp/go: its exit comes after the exec and the archives.
      const go = await c.exec({ Cmd: ['touch', '/tmp/go'] });
      await go.start({ Detach: true });
      assert.deepEqual(await c.wait(), { StatusCode: 3, Error: null });
      // Followed logs of a stopped container: what it wrote, then the end.
      assert.deepEqual(await demuxed(docker, (await c.logs({ follow: true, stdout: true, stderr: true })) as unknown as Readable), { stdout: 'node-out\n', stderr: 'node-err\n' });
      await c.remove();
      await assert.rejects(c.inspect(), (err: { statusCode?: number }) => err.statusCode === 404);
    });

    it('builds from a tar context: the aux ID, then runs the image', async () => {
      const ctxDir = join(w.dir, 'build-ctx');
      await mkdir(ctxDir, { recursive: true });
      await writeFile(join(ctxDir, 'Dockerfile'), `FROM ${w.image}\nCOPY hello.txt /hello.txt\nRUN echo built >> /hello.txt\nCMD ["cat", "/hello.txt"]\n`);
      await writeFile(join(ctxDir, 'hello.txt'), 'from the context\n');
      const messages = await progress(docker, await docker.buildImage({ context: ctxDir, src: ['Dockerfile', 'hello.txt'] }, { t: 'node-built:1' }));
      const aux = messages.find((m) => m.aux)?.aux as { ID?: string } | undefined;
      assert.match(aux?.ID ?? '', /^sha256:[0-9a-f]{64}$/, JSON.stringify(messages));
      assert.equal((await docker.getImage('node-built:1').inspect()).Id, aux!.ID);
      const c = await docker.createContainer({ Image: 'node-built:1' });
      await c.start();
      assert.equal((await c.wait()).StatusCode, 0);
      assert.deepEqual(await demuxed(docker, (await c.logs({ follow: true, stdout: true, stderr: true })) as unknown as Readable), { stdout: 'from the context\nbuilt\n', stderr: '' });
      await c.remove({ force: true });
    });
  });
}
