// A berth-built image pushed to a test registry: skopeo shows its config, and Docker (a private
// dockerd) pulls and runs it with the same output berth gets.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { startRegistry, type TestRegistry } from '../../fixtures/registry.ts';
import { startDockerd, type Dockerd } from '../../../bench/dockerd.ts';
import { harness, type Harness } from './harness.ts';

const exec = promisify(execFile);

describe('berth-built images under skopeo and Docker', () => {
  let h: Harness;
  let registry: TestRegistry;
  let dockerd: Dockerd | undefined;
  before(async () => {
    h = harness();
    registry = await startRegistry();
  });
  after(async () => {
    await dockerd?.stop();
    await registry?.stop();
    await h?.cleanup();
  });

  it('pushed, inspected by skopeo, pulled and run by dockerd with the same output', async () => {
    const ctx = h.context({
      Dockerfile: [
        'FROM scratch',
        'COPY busybox /bin/busybox',
        'RUN ["/bin/busybox", "--install", "-s", "/bin"]',
        'ENV GREETING=hello PATH=/bin',
        'LABEL org.opencontainers.image.title=compat',
        'WORKDIR /app',
        'COPY data/ ./',
        'RUN mkdir -p /gone && touch /gone/x && ln -s /app/a.txt /app/link',
        'RUN rm -rf /gone',
        'EXPOSE 8080',
        'USER 1000:1000',
        'ENTRYPOINT ["/bin/sh", "-c"]',
        'CMD ["echo $GREETING from $(id -u); cat /app/link /app/sub/b.txt; ls /gone 2>&1 || true; pwd"]',
      ].join('\n'),
      'data/a.txt': 'A\n',
      'data/sub/b.txt': 'B\n',
    });
    const ref = `${registry.host}/berth/compat:1`;
    await h.build({ context: ctx, tags: [ref] });
    const berthOut = await h.run(ref);
    assert.match(berthOut, /^hello from 1000\nA\nB\nls: \/gone: No such file or directory\n\/app\n$/);
    await h.images.push(ref);

    const { stdout } = await exec('skopeo', ['inspect', '--tls-verify=false', `docker://${ref}`]);
    const info = JSON.parse(stdout) as { Env: string[]; Labels: Record<string, string>; Layers: string[]; Architecture: string; Os: string };
    assert.deepEqual(info.Env, ['GREETING=hello', 'PATH=/bin']);
    assert.deepEqual(info.Labels, { 'org.opencontainers.image.title': 'compat' });
    assert.equal(info.Layers.length, 5);
    assert.equal(info.Os, 'linux');
    const cfg = JSON.parse((await exec('skopeo', ['inspect', '--config', '--tls-verify=false', `docker://${ref}`])).stdout) as { config: Record<string, unknown> };
    assert.deepEqual(cfg.config.Entrypoint, ['/bin/sh', '-c']);
    assert.equal(cfg.config.User, '1000:1000');
    assert.equal(cfg.config.WorkingDir, '/app');
    assert.deepEqual(cfg.config.ExposedPorts, { '8080/tcp': {} });

    dockerd = await startDockerd({ insecureRegistries: [registry.host] });
    await dockerd.docker(['pull', '-q', ref]);
    const dockerOut = await dockerd.docker(['run', '--rm', '--network', 'none', ref]);
    assert.equal(dockerOut, berthOut);
  });
});
