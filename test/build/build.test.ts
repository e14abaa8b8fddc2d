// Builds of a corpus of Dockerfiles on FROM scratch + busybox-static, run with runc afterwards.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { harness, type Harness } from './harness.ts';

const BASE = 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\n';

describe('Dockerfile builds', () => {
  let h: Harness;
  before(() => {
    h = harness();
  });
  after(async () => h.cleanup());

  it('every instruction: config, history and the result runs', async () => {
    const ctx = h.context({
      Dockerfile:
        BASE +
        [
          'ARG GREETING=hello',
          'ENV APP=/app NAME="berth build"',
          'LABEL org.example.name="$NAME" version=1',
          'WORKDIR $APP',
          'COPY hello.txt ./',
          'RUN echo "$GREETING from $NAME" > greeting && echo built-in-run',
          'EXPOSE 8080 53/udp',
          'VOLUME /data',
          'USER 1000:1000',
          'STOPSIGNAL SIGINT',
          'HEALTHCHECK --interval=5s --retries=2 CMD ["true"]',
          'SHELL ["/bin/sh", "-ec"]',
          'ONBUILD RUN echo child',
          'ENTRYPOINT ["/bin/cat"]',
          'CMD ["/app/greeting", "/app/hello.txt"]',
        ].join('\n'),
      'hello.txt': 'hi there\n',
    });
    const r = await h.build({ context: ctx, tags: ['t/every:1'], buildArgs: { GREETING: 'howdy' } });
    assert.match(r.output, /built-in-run/);
    const cfg = await h.config('t/every:1');
    const c = cfg.config;
    assert.deepEqual(c.Env, ['APP=/app', 'NAME=berth build']);
    assert.deepEqual(c.Labels, { 'org.example.name': 'berth build', version: '1' });
    assert.equal(c.WorkingDir, '/app');
    assert.deepEqual(c.ExposedPorts, { '8080/tcp': {}, '53/udp': {} });
    assert.deepEqual(c.Volumes, { '/data': {} });
    assert.equal(c.User, '1000:1000');
    assert.equal(c.StopSignal, 'SIGINT');
    assert.deepEqual(c.Healthcheck, { Test: ['CMD', 'true'], Interval: 5e9, Retries: 2 });
    assert.deepEqual(c.Shell, ['/bin/sh', '-ec']);
    assert.deepEqual(c.OnBuild, ['RUN echo child']);
    assert.deepEqual(c.Entrypoint, ['/bin/cat']);
    assert.deepEqual(c.Cmd, ['/app/greeting', '/app/hello.txt']);
    assert.equal(cfg.rootfs.diff_ids.length, 4);
    const hist = cfg.history!;
    assert.equal(hist.length, 17);
    assert.equal(hist.filter((x) => !x.empty_layer).length, 4);
    assert.equal(hist[0]!.created_by, 'COPY busybox /bin/busybox # buildkit');
    assert.equal(hist[3]!.created_by, '/bin/sh -c #(nop)  ENV APP=/app NAME=berth build');
    assert.equal(hist[7]!.created_by, 'RUN |1 GREETING=howdy /bin/sh -c echo "$GREETING from $NAME" > greeting && echo built-in-run # buildkit');
    assert.equal(hist[16]!.created_by, '/bin/sh -ec #(nop)  CMD ["/app/greeting" "/app/hello.txt"]');
    assert.equal(await h.run('t/every:1'), 'howdy from berth build\nhi there\n');
  });
});
