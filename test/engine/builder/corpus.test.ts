// The corpus: every instruction, multi-stage, .dockerignore, the cache, whiteouts, heredocs, ADD, ONBUILD, ARG
// scoping, RUN's network, and failures located at their line.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tar from 'tar';
import { DockerfileError } from '../../../engine/builder/errors.ts';
import { harness, type Harness } from './harness.ts';

const BASE = 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\n';

async function layerEntries(h: Harness, ref: string, index: number): Promise<string[]> {
  const names: string[] = [];
  await tar.t({ file: await h.layerBlob(ref, index), onReadEntry: (e) => void names.push(e.path) });
  return names;
}

function cachedFlags(events: Array<{ type: string; cached?: boolean; text?: string }>): string[] {
  return events.filter((e) => e.type === 'step' && /^(RUN|COPY|ADD)/.test(e.text!)).map((e) => `${e.cached ? 'CACHED ' : ''}${e.text}`);
}

describe('build corpus', () => {
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

  it('multi-stage: --target, unused stages skipped, COPY --from by name and index, FROM a stage', async () => {
    const ctx = h.context({
      Dockerfile: [
        BASE.replace('FROM scratch', 'FROM scratch AS base'),
        'FROM base AS builder',
        'RUN mkdir /out && echo compiled > /out/app',
        'FROM base AS broken',
        'RUN exit 3',
        'FROM scratch AS final',
        'COPY --from=builder /out/app /app',
        'COPY --from=0 /bin/busybox /bin/cat',
        'CMD ["/bin/cat", "/app"]',
        'FROM final AS extra',
        'RUN echo never',
      ].join('\n'),
    });
    const r = await h.build({ context: ctx, tags: ['t/multi:1'], target: 'final' });
    assert.ok(!r.output.includes('never'));
    assert.ok(!r.events.some((e) => e.type === 'step' && e.text === 'RUN exit 3'));
    assert.equal(await h.run('t/multi:1'), 'compiled\n');
    const cfg = await h.config('t/multi:1');
    assert.equal(cfg.rootfs.diff_ids.length, 2);
    await assert.rejects(h.build({ context: ctx, tags: ['t/multi:2'], target: 'nope' }), /target stage "nope" could not be found/);
  });

  it('COPY --from an image (not a stage), its symlinks resolved inside it', async () => {
    const lib = h.context({ Dockerfile: BASE + 'RUN mkdir -p /usr/share/lib && echo from-image > /usr/share/lib/data && ln -s /usr/share/lib /lib\n' });
    await h.build({ context: lib, tags: ['t/lib:1'] });
    const ctx = h.context({ Dockerfile: 'FROM scratch\nCOPY --from=t/lib:1 /bin/busybox /bin/busybox\nCOPY --from=t/lib:1 /lib/data /copied\nCMD ["/bin/busybox", "cat", "/copied"]\n' }, { busybox: false });
    await h.build({ context: ctx, tags: ['t/fromimg:1'] });
    assert.equal(await h.run('t/fromimg:1'), 'from-image\n');
  });

  it('.dockerignore with exceptions decides what COPY . sees', async () => {
    const ctx = h.context({
      Dockerfile: BASE + 'COPY . /ctx/\nCMD ["find", "/ctx", "-type", "f"]\n',
      '.dockerignore': '*.log\nsecret/\n!keep.log\n**/*.tmp\n',
      'a.txt': 'a',
      'x.log': 'x',
      'keep.log': 'k',
      'secret/key': 's',
      'deep/er/file.tmp': 't',
      'deep/er/file.txt': 't',
    });
    await h.build({ context: ctx, tags: ['t/ignore:1'] });
    const files = (await h.run('t/ignore:1')).trim().split('\n').sort();
    assert.deepEqual(files, ['/ctx/.dockerignore', '/ctx/Dockerfile', '/ctx/a.txt', '/ctx/busybox', '/ctx/deep/er/file.txt', '/ctx/keep.log']);
  });

  it('cache: an unchanged rebuild is all cached and the same image; a changed file rebuilds from its COPY on', async () => {
    const ctx = h.context({
      Dockerfile: BASE + 'COPY a.txt /a\nRUN cat /a > /a2\nCOPY b.txt /b\nRUN cat /a /b > /ab\n',
      'a.txt': 'A',
      'b.txt': 'B',
    });
    const first = await h.build({ context: ctx, tags: ['t/cache:1'] });
    assert.ok(cachedFlags(first.events).slice(2).every((s) => !s.startsWith('CACHED')));
    const second = await h.build({ context: ctx, tags: ['t/cache:1'] });
    assert.ok(cachedFlags(second.events).every((s) => s.startsWith('CACHED')), cachedFlags(second.events).join('\n'));
    assert.equal(second.digest, first.digest);
    writeFileSync(join(ctx, 'b.txt'), 'B2');
    const third = await h.build({ context: ctx, tags: ['t/cache:1'] });
    assert.deepEqual(cachedFlags(third.events), ['CACHED COPY busybox /bin/busybox', 'CACHED RUN ["/bin/busybox", "--install", "-s", "/bin"]', 'CACHED COPY a.txt /a', 'CACHED RUN cat /a > /a2', 'COPY b.txt /b', 'RUN cat /a /b > /ab']);
    assert.equal(await h.run('t/cache:1', ['cat', '/ab']), 'AB2');
    const nocache = await h.build({ context: ctx, tags: ['t/cache:1'], noCache: true });
    assert.ok(cachedFlags(nocache.events).every((s) => !s.startsWith('CACHED')));
    // A changed build arg used by a RUN invalidates that RUN.
    const argCtx = h.context({ Dockerfile: BASE + 'ARG V=1\nRUN echo $V > /v\n' });
    await h.build({ context: argCtx, tags: ['t/cache:2'] });
    const again = await h.build({ context: argCtx, tags: ['t/cache:2'], buildArgs: { V: '2' } });
    assert.deepEqual(cachedFlags(again.events).slice(2), ['RUN echo $V > /v']);
    assert.equal(await h.run('t/cache:2', ['cat', '/v']), '2\n');
  });

  it('deletions become whiteouts, a recreated directory is opaque', async () => {
    const ctx = h.context({
      Dockerfile: BASE + 'RUN mkdir -p /d/sub && touch /d/old /d/sub/f /gone\nRUN rm /gone && rm -rf /d && mkdir /d && touch /d/new\nCMD ["find", "/d", "/gone"]\n',
    });
    await h.build({ context: ctx, tags: ['t/wh:1'] });
    const entries = await layerEntries(h, 't/wh:1', 3);
    assert.ok(entries.includes('.wh.gone'), entries.join(' '));
    assert.ok(entries.includes('d/.wh..wh..opq'), entries.join(' '));
    assert.ok(entries.includes('d/new'));
    assert.equal(await h.run('t/wh:1', ['sh', '-c', 'find /d; test -e /gone || echo no-gone']), '/d\n/d/new\nno-gone\n');
  });

  it('heredocs: RUN scripts and COPY files with variables', async () => {
    const ctx = h.context({
      Dockerfile: [
        BASE + 'ENV WHO=world',
        'RUN <<EOF',
        'echo line1 > /h',
        'echo "hello $WHO" >> /h',
        'EOF',
        'RUN <<EOF',
        '#!/bin/sh',
        'echo from-shebang > /s',
        'EOF',
        'COPY <<CONF /etc/app.conf',
        'who=$WHO',
        'CONF',
        'COPY <<"RAW" /raw',
        'keep $WHO',
        'RAW',
        'RUN cat > /c <<EOT',
        'cat $WHO',
        'EOT',
      ].join('\n'),
    });
    await h.build({ context: ctx, tags: ['t/heredoc:1'] });
    assert.equal(await h.run('t/heredoc:1', ['cat', '/h', '/s', '/etc/app.conf', '/raw', '/c']), 'line1\nhello world\nfrom-shebang\nwho=world\nkeep $WHO\ncat world\n');
  });

  it('COPY --chown/--chmod, globs, a directory, into WORKDIR', async () => {
    const ctx = h.context({
      Dockerfile: BASE + 'RUN echo "app:x:1000:1000::/home/app:/bin/sh" > /etc/passwd && echo "app:x:1000:" > /etc/group\nWORKDIR /w\nCOPY --chown=app:app --chmod=750 *.sh ./\nCOPY --chown=7 dir /d/\nCOPY dir/f1 renamed\n',
      'a.sh': 'a',
      'b.sh': 'b',
      'dir/f1': '1',
      'dir/sub/f2': '2',
    });
    await h.build({ context: ctx, tags: ['t/copy:1'] });
    const out = await h.run('t/copy:1', ['sh', '-c', 'stat -c "%n %u:%g %a" /w/a.sh /w/b.sh /d /d/f1 /d/sub/f2 /w/renamed']);
    assert.equal(out, '/w/a.sh 1000:1000 750\n/w/b.sh 1000:1000 750\n/d 7:7 755\n/d/f1 7:7 644\n/d/sub/f2 7:7 644\n/w/renamed 0:0 644\n');
  });

  it('ADD: a local tar is extracted, a URL is downloaded', async () => {
    const ctx = h.context({ Dockerfile: BASE + 'ADD files.tar.gz /opt/\nADD plain.txt /opt/plain\n', 'plain.txt': 'p' });
    mkdirSync(join(ctx, 'src/inner'), { recursive: true });
    writeFileSync(join(ctx, 'src/inner/x'), 'from tar');
    await tar.c({ gzip: true, file: join(ctx, 'files.tar.gz'), cwd: join(ctx, 'src') }, ['inner']);
    await h.build({ context: ctx, tags: ['t/add:1'] });
    assert.equal(await h.run('t/add:1', ['cat', '/opt/inner/x', '/opt/plain']), 'from tartp'.replace('tartp', 'tarp'));

    const server: Server = createServer((_req, res) => {
      res.setHeader('last-modified', new Date(1_600_000_000_000).toUTCString());
      res.end('downloaded\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as { port: number }).port;
      const uctx = h.context({ Dockerfile: BASE + `ADD http://127.0.0.1:${port}/files/data.txt /srv/\n` });
      await h.build({ context: uctx, tags: ['t/add:2'] });
      assert.equal(await h.run('t/add:2', ['sh', '-c', 'cat /srv/data.txt; stat -c "%a %Y" /srv/data.txt']), 'downloaded\n600 1600000000\n');
    } finally {
      server.close();
    }
  });

  it('ADD of a URL whose connection is cut mid-body fails the build, naming the URL', async () => {
    const server: Server = createServer((_req, res) => {
      res.writeHead(200, { 'content-length': '100000' });
      res.write('only the start', () => res.socket?.destroy());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/cut.bin`;
      const ctx = h.context({ Dockerfile: BASE + `ADD ${url} /srv/\n` });
      await assert.rejects(h.build({ context: ctx, tags: ['t/add:cut'] }), (err: Error) => err.message.includes(`cannot download ${url}: the connection closed before the end of the body`));
    } finally {
      server.close();
    }
  });

  it('ONBUILD triggers run in the child build', async () => {
    const parent = h.context({ Dockerfile: BASE + 'ONBUILD RUN echo triggered > /t\n' });
    await h.build({ context: parent, tags: ['t/parent:1'] });
    const child = h.context({ Dockerfile: 'FROM t/parent:1\nRUN cat /t\n' }, { busybox: false });
    const r = await h.build({ context: child, tags: ['t/child:1'] });
    assert.match(r.output, /triggered/);
    assert.equal((await h.config('t/child:1')).config.OnBuild, null);
  });

  it('ARG scoping: global ARGs for FROM, re-declared to be used in a stage', async () => {
    const ctx = h.context({
      Dockerfile: 'ARG BASE=t/parent:1\nARG V=global\nFROM --platform=$BUILDPLATFORM ${BASE}\nRUN echo "before:[$V][$TARGETOS]" > /v1\nARG V TARGETOS\nRUN echo "after:[$V][$TARGETOS]" > /v2\nENV V=env\nARG V=ignored\nRUN echo "env wins:[$V]" > /v3\n',
    }, { busybox: false });
    const r = await h.build({ context: ctx, tags: ['t/args:1'], buildArgs: { UNUSED: 'x' } });
    assert.ok(r.events.some((e) => e.type === 'warning' && /UNUSED/.test(e.text)));
    assert.equal(await h.run('t/args:1', ['cat', '/v1', '/v2', '/v3']), 'before:[][]\nafter:[global][linux]\nenv wins:[env]\n');
  });

  it("RUN has no network by default; --network host is the host's", async () => {
    const ctx = h.context({ Dockerfile: BASE + 'RUN cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d " " > /ifs\n' });
    await h.build({ context: ctx, tags: ['t/net:1'] });
    assert.equal(await h.run('t/net:1', ['cat', '/ifs']), 'lo\n');
    await h.build({ context: ctx, tags: ['t/net:2'], network: 'host' });
    assert.notEqual(await h.run('t/net:2', ['cat', '/ifs']), 'lo\n');
  });

  it('a failing RUN names its line and exit code; the output is streamed', async () => {
    const ctx = h.context({ Dockerfile: BASE + '\nRUN echo about to fail && exit 7\n' });
    const out: string[] = [];
    await assert.rejects(
      h.builder.build({ context: ctx, tags: ['t/fail:1'] }, (e) => e.type === 'output' && out.push(e.text)),
      (e: Error & { exitCode?: number }) => /^Dockerfile:5:1: RUN echo about to fail && exit 7: the command returned a non-zero code: 7$/.test(e.message) && e.exitCode === 7,
    );
    assert.match(out.join(''), /about to fail/);
  });

  it('SOURCE_DATE_EPOCH: two builds without cache give the same image', async () => {
    const ctx = h.context({ Dockerfile: BASE + 'COPY a.txt /a\nRUN date > /built-at && mkdir -p /var/x && touch /var/x/y\nCMD ["cat", "/a"]\n', 'a.txt': 'a' });
    const one = await h.build({ context: ctx, tags: ['t/repro:1'], noCache: true, buildArgs: { SOURCE_DATE_EPOCH: '1700000000' } });
    await h.build({ context: ctx, tags: ['t/repro:2'], noCache: true, buildArgs: { SOURCE_DATE_EPOCH: '1700000000' } });
    const [c1, c2] = [await h.config('t/repro:1'), await h.config('t/repro:2')];
    // The RUN writes the time it ran, so only its layer may differ; every other layer and date match.
    assert.deepEqual(c1.rootfs.diff_ids.filter((_, i) => i !== 3), c2.rootfs.diff_ids.filter((_, i) => i !== 3));
    assert.ok(c1.history!.every((x) => x.created === '2023-11-14T22:13:20.000Z' || x.empty_layer));
    assert.ok(!one.events.some((e) => e.type === 'warning'));
  });

  it('aborting a build kills the running step', async () => {
    const ctx = h.context({ Dockerfile: BASE + 'RUN echo started && sleep 100000\n' });
    const ac = new AbortController();
    await assert.rejects(
      h.builder.build({ context: ctx, tags: ['t/abort:1'], signal: ac.signal }, (e) => e.type === 'output' && e.text.includes('started') && ac.abort()),
      (e: Error) => e.name === 'AbortError',
    );
  });

  it('bad Dockerfiles and substitutions are located errors', async () => {
    const cases: Array<[string, RegExp]> = [
      ['FROM scratch\nENV A=${B', /^Dockerfile:2:1: ENV: syntax error: missing '}'/],
      ['FROM scratch\nCOPY nothere /x', /^Dockerfile:2:1: COPY: nothere: not found in the build context/],
      ['FROM scratch\nEXPOSE 80/xyz', /^Dockerfile:2:1: EXPOSE: invalid port "80\/xyz"/],
      ['FROM scratch\nSTOPSIGNAL SIGNOPE', /^Dockerfile:2:1: STOPSIGNAL: invalid signal/],
      ['FROM scratch\nHEALTHCHECK --interval=soon CMD true', /HEALTHCHECK: --interval: "soon" is not a duration/],
      ['FROM scratch\nCOPY --chmod=999 busybox /x', /COPY: --chmod=999: use an octal mode/],
      ['FROM scratch\nCOPY busybox Dockerfile /x', /COPY: when copying more than one source the destination must be a directory/],
      ['ARG B\nFROM $B', /^Dockerfile:2:1: FROM: "\$B" expands to an empty image name/],
      ['FROM --platform=linux/s390x scratch', /^Dockerfile:1:1: FROM: --platform=linux\/s390x: berth builds for this host's platform/],
      ['FROM nosuch/image:1', /^Dockerfile:1:1: FROM: image "nosuch\/image:1"/],
      ['FROM scratch\nCOPY busybox /bin/sh\nUSER nobody\nRUN true', /^Dockerfile:4:1: RUN: user "nobody" is not in the image's \/etc\/passwd/],
    ];
    for (const [text, re] of cases) {
      const ctx = h.context({ Dockerfile: text });
      await assert.rejects(h.build({ context: ctx, tags: ['t/bad:1'] }), (e: Error) => e instanceof DockerfileError && re.test(e.message), text);
    }
  });

  it("symlinks in the image are followed inside the rootfs, never on the host", async () => {
    const host = mkdtempSync(join(tmpdir(), 'berth-host-'));
    try {
      const ctx = h.context({ Dockerfile: BASE + `RUN ln -s ${host} /evil && mkdir /d && ln -s ${host} /d/sub\nCOPY dir /evil/\nCOPY dir /d/\nCOPY one.txt /evil/one.txt\n`, 'dir/sub/f': 'f', 'one.txt': '1' });
      await h.build({ context: ctx, tags: ['t/links:1'] });
      assert.deepEqual(readdirSync(host), []);
      assert.equal(await h.run('t/links:1', ['sh', '-c', `cat ${host}/sub/f ${host}/one.txt; readlink /evil; readlink /d/sub`]), `f1${host}\n${host}\n`);
    } finally {
      rmSync(host, { recursive: true, force: true });
    }
  });

  it('hostile contexts: ../x, a symlink to /etc, a tar climbing out — refused, nothing written outside', async () => {
    const ctx = h.context({ Dockerfile: 'FROM scratch\nCOPY ../outside /x\n' });
    await assert.rejects(h.build({ context: ctx, tags: ['t/h:1'] }), /COPY: forbidden path outside the build context: \.\.\/outside/);
    const ctx2 = h.context({ Dockerfile: 'FROM scratch\nCOPY etc/passwd /x\n' });
    symlinkSync('/etc', join(ctx2, 'etc'));
    await assert.rejects(h.build({ context: ctx2, tags: ['t/h:2'] }), /COPY: source etc\/passwd: etc is a symlink to \/etc, outside the build context/);
    const ctx3 = h.context({ Dockerfile: 'FROM scratch\nADD evil.tar /x/\n' });
    mkdirSync(join(ctx3, 'ev'));
    writeFileSync(join(ctx3, 'ev/f'), 'pwned');
    await tar.c({ file: join(ctx3, 'evil.tar'), cwd: join(ctx3, 'ev'), preservePaths: true, onWriteEntry: (e: { path: string }) => void (e.path = '../../../../tmp/berth-evil-' + process.pid) } as never, ['f']);
    await assert.rejects(h.build({ context: ctx3, tags: ['t/h:3'] }), /ADD: archive evil.tar: entry "\.\.\/\.\.\/\.\.\/\.\.\/tmp\/berth-evil-\d+" would be written outside the destination; refused/);
    const ctx4 = h.context({ Dockerfile: 'FROM scratch\nADD link.tar /x/\n' });
    mkdirSync(join(ctx4, 'l'));
    symlinkSync('/etc', join(ctx4, 'l/esc'));
    mkdirSync(join(ctx4, 'l2/esc'), { recursive: true });
    writeFileSync(join(ctx4, 'l2/esc/owned'), 'x');
    await tar.c({ file: join(ctx4, 'link.tar'), cwd: join(ctx4, 'l') }, ['esc']);
    await tar.r({ file: join(ctx4, 'link.tar'), cwd: join(ctx4, 'l2') }, ['esc/owned']);
    await assert.rejects(h.build({ context: ctx4, tags: ['t/h:4'] }), /entry "esc\/owned" is written through the symlink "esc" the archive created; refused/);
  });
});
