// daemon.json: every key through the schema, problems located as file:line:col, flags and
// environment over the file, conflicts refused, and the options the daemon's parts get.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { givenFromEnv, givenFromFlags } from '../../server/config/flags.ts';
import { ConfigInvalidError, loadConfigFile, parseConfig } from '../../server/config/load.ts';
import { dockerSocketOf, optionsFromSettings } from '../../server/config/options.ts';
import { changedKeys, describeSettings, keepOnReload, resolveSettings } from '../../server/config/settings.ts';
import { NotFoundError } from '../../specs/errdefs.ts';
import { tempDir } from '../fixtures/helpers.ts';

const FILE = '/etc/berth/daemon.json';

/** The problems of an invalid text, as `line:col: message`. */
function problems(text: string, flags: Parameters<typeof givenFromFlags>[0] = {}): string[] {
  try {
    resolveSettings({ file: parseConfig(FILE, text), flags: givenFromFlags(flags) });
  } catch (err) {
    assert.ok(err instanceof ConfigInvalidError, String(err));
    return err.problems.map((p) => `${p.where.replace(`${FILE}:`, '')}: ${p.message}`);
  }
  assert.fail('the configuration was accepted');
}

describe('daemon configuration file', () => {
  it("serves Docker's API beside a unix API socket unless told where, or told not to", () => {
    assert.equal(dockerSocketOf({ hosts: ['unix:///run/berth/berth.sock'] }), '/run/berth/docker.sock');
    assert.equal(dockerSocketOf({ hosts: ['fd://'] }), '/run/berth/docker.sock');
    assert.equal(dockerSocketOf({ hosts: ['tcp://127.0.0.1:2375'] }), undefined);
    assert.equal(dockerSocketOf({ hosts: ['unix:///run/berth/berth.sock'], 'docker-socket': '' }), undefined);
    assert.equal(dockerSocketOf({ hosts: ['unix:///run/berth/berth.sock'], 'docker-socket': '/var/run/docker.sock' }), '/var/run/docker.sock');
  });

  it("reads Docker's keys and berth's own, with the options each part gets", () => {
    const text = JSON.stringify(
      {
        'data-root': '/srv/berth',
        hosts: ['unix:///run/b.sock'],
        'registry-mirrors': ['https://mirror.example', 'http://127.0.0.1:5001'],
        'insecure-registries': ['registry.lan:5000'],
        'log-level': 'debug',
        'log-driver': 'json-file',
        'log-opts': { 'max-size': '20m', 'max-file': '5' },
        'live-restore': true,
        'max-concurrent-downloads': 2,
        'max-concurrent-uploads': 7,
        labels: ['site=lab', 'tier=edge'],
        'cgroup-parent': 'berth.slice',
        dns: [],
        watch: ['/etc/berth/manifests'],
        'metrics-addr': '127.0.0.1:9323',
        runtime: 'runc',
        'cni-path': ['/usr/local/lib/cni'],
        'registry-hosts': { 'registry.lan:5000': { mirrors: ['https://cache.lan'] } },
        'certs-dir': '/srv/berth/certs.d',
        'docker-socket': '/run/b/docker.sock',
      },
      null,
      2,
    );
    const s = resolveSettings({ file: parseConfig(FILE, text) });
    assert.deepEqual(optionsFromSettings(s), {
      root: '/srv/berth',
      socket: '/run/b.sock',
      dockerSocket: '/run/b/docker.sock',
      socketGroup: { name: 'berth', required: false },
      watch: ['/etc/berth/manifests'],
      metricsAddr: '127.0.0.1:9323',
      runtime: 'runc',
      insecureRegistries: ['registry.lan:5000'],
      cgroupParent: 'berth.slice',
      cniPath: ['/usr/local/lib/cni'],
      registryMirrors: { 'docker.io': ['https://mirror.example', 'http://127.0.0.1:5001'], 'registry.lan:5000': ['https://cache.lan'] },
      certsDir: '/srv/berth/certs.d',
      maxConcurrentDownloads: 2,
      maxConcurrentUploads: 7,
      logMaxBytes: 20 * 1024 * 1024,
      logMaxFiles: 5,
      labels: ['site=lab', 'tier=edge'],
      settings: s,
    });
    const info = describeSettings(s);
    assert.deepEqual(info.find((i) => i.key === 'registry-mirrors'), {
      key: 'registry-mirrors',
      value: ['https://mirror.example', 'http://127.0.0.1:5001'],
      source: 'file',
      where: `${FILE}:6:3`,
      live: true,
    });
    assert.deepEqual(info.find((i) => i.key === 'data-root'), { key: 'data-root', value: '/srv/berth', source: 'file', where: `${FILE}:2:3`, live: false });
  });

  it("fills in defaults (Docker's where it has one) without a file", () => {
    const s = resolveSettings({});
    assert.equal(s.values['data-root'], '/var/lib/berth');
    assert.deepEqual(s.values.hosts, ['unix:///run/berth/berth.sock']);
    assert.equal(s.values['max-concurrent-downloads'], 3);
    assert.equal(s.values['max-concurrent-uploads'], 5);
    assert.equal(s.values.runtime, 'native');
    assert.equal(s.values['certs-dir'], '/etc/berth/certs.d');
    assert.deepEqual(s.values['log-opts'], { 'max-size': '10m', 'max-file': '2' });
    assert.ok(describeSettings(s).every((i) => i.source === 'default' && i.where === undefined));
  });

  it('locates a file that is not JSON', () => {
    assert.deepEqual(problems('{\n  "log-level": "debug",\n}\n'), ['3:1: not valid JSON: Unexpected token RBrace found.']);
    assert.deepEqual(problems('{"log-level": "debug"} // comment'), ['1:24: not valid JSON: Unexpected character \'/\' found.']);
    assert.deepEqual(problems("{'log-level': 'debug'}"), ["1:2: not valid JSON: Unexpected character ''' found."]);
    assert.deepEqual(problems(''), ['1:1: not valid JSON: Unexpected end of input found.']);
    assert.deepEqual(problems('["registry-mirrors"]'), ['1:1: the configuration must be a JSON object of settings, e.g. {"registry-mirrors": ["https://mirror.example"]}']);
    assert.deepEqual(problems('{"labels": ["a=1"],\n "labels": ["a=2"]}'), ['2:2: key "labels" is given twice (first at 1:2); keep one']);
  });

  it('names the key and its line for unknown keys, wrong types and bad values, all at once', () => {
    const text = [
      '{',
      '  "registry-mirrors": "x",',
      '  "log-levle": "debug",',
      '  "insecure-registries": ["http://registry.lan:5000"],',
      '  "max-concurrent-downloads": 0,',
      '  "live-restore": false,',
      '  "runtime": "crun"',
      '}',
    ].join('\n');
    assert.deepEqual(problems(text), [
      '2:23: registry-mirrors: expected a list, got string "x"',
      '3:3: unknown key "log-levle"; did you mean "log-level"?',
      '4:27: insecure-registries[0]: "http://registry.lan:5000" must be host or host:port (without the scheme)',
      '5:31: max-concurrent-downloads: must be at least 1 (got number 0)',
      '6:19: live-restore: containers always outlive the daemon under berth (each has its own monitor); only true is accepted',
      '7:14: runtime: string "crun" is not allowed; use one of "native", "runc", "none"',
    ]);
  });

  it('refuses mirrors that are not http(s) URLs, and plain-http ones not marked insecure', () => {
    assert.deepEqual(problems('{"registry-mirrors": ["mirror.example", "ftp://m.example", "https://u:p@m.example"]}'), [
      '1:23: registry-mirrors[0]: "mirror.example" is not a URL; write it as https://host[:port]',
      '1:41: registry-mirrors[1]: "ftp://m.example" must be an http or https URL',
      '1:60: registry-mirrors[2]: "https://u:p@m.example" must not hold credentials; use `berth login m.example`',
    ]);
    assert.deepEqual(problems('{"registry-mirrors": ["http://cache.lan:5000"]}'), [
      '1:23: registry-mirrors[0]: http://cache.lan:5000 is plain http; use https, or list cache.lan:5000 in insecure-registries',
    ]);
    const s = resolveSettings({ file: parseConfig(FILE, '{"registry-mirrors": ["http://cache.lan:5000"]}'), flags: givenFromFlags({ insecureRegistry: ['cache.lan:5000'] }) });
    assert.deepEqual(s.values['registry-mirrors'], ['http://cache.lan:5000']);
  });

  it('refuses what berth cannot apply yet, by name, and accepts it empty', () => {
    assert.deepEqual(problems('{"dns": ["192.0.2.53"], "bip": "10.1.0.1/16", "log-opts": {"max-file": "0", "labels": "x"}, "hosts": ["tcp://0.0.0.0:2375"]}'), [
      '1:9: dns: berth cannot apply this setting yet (containers use the host\'s name servers); remove it',
      '1:32: bip: berth cannot apply this setting yet (berth has no default bridge; containers join networks); remove it',
      '1:72: log-opts.max-file: "0" must be a number of files from "1" to "100", such as "3"',
      '1:77: log-opts.labels: unknown key "labels" (known fields: max-size, max-file)',
      '1:103: hosts[0]: "tcp://0.0.0.0:2375" is not a loopback address: berth\'s API has no TLS, so it listens on a unix socket or on loopback only',
    ]);
    assert.doesNotThrow(() => resolveSettings({ file: parseConfig(FILE, '{"dns": [], "default-ulimits": {}, "default-address-pools": []}') }));
  });

  it('lets flags and the environment override the file, and refuses a key given both ways differently', () => {
    const file = parseConfig(FILE, '{\n  "log-level": "warn",\n  "data-root": "/srv/berth",\n  "hosts": ["unix:///run/berth/berth.sock"]\n}');
    const s = resolveSettings({ file, flags: givenFromFlags({ root: '/srv/berth', watch: ['/tmp'] }), env: givenFromEnv({ BERTH_SOCKET: '/run/berth/berth.sock' }) });
    assert.equal(s.sources['data-root'], 'flag');
    assert.equal(s.sources.hosts, 'env');
    assert.equal(s.where.hosts, '$BERTH_SOCKET');
    assert.equal(s.sources['log-level'], 'file');
    assert.equal(s.sources.watch, 'flag');
    // --cni-path is colon-separated, as $CNI_PATH.
    assert.deepEqual(resolveSettings({ flags: givenFromFlags({ cniPath: '/opt/my/cni:/usr/local/lib/cni' }) }).values['cni-path'], ['/opt/my/cni', '/usr/local/lib/cni']);
    assert.deepEqual(
      problems('{\n  "log-level": "warn",\n  "registry-mirrors": ["https://a.example"]\n}', { logLevel: 'debug', registryMirror: ['https://b.example'] }),
      [
        '2:3: log-level is given both in the file ("warn") and as flag --log-level ("debug"); keep one of the two',
        '3:3: registry-mirrors is given both in the file (["https://a.example"]) and as flag --registry-mirror (["https://b.example"]); keep one of the two',
      ],
    );
    assert.throws(() => resolveSettings({ file, env: givenFromEnv({ BERTH_SOCKET: '/tmp/other.sock' }) }), (e) => e instanceof ConfigInvalidError && /4:3: hosts is given both in the file .* and as \$BERTH_SOCKET/.test(e.message));
  });

  it('checks flags with the same schema, naming the flag', () => {
    assert.throws(
      () => resolveSettings({ flags: givenFromFlags({ maxConcurrentDownloads: 'many', socket: '0.0.0.0:2375', logOpt: ['max-size=tiny'] }) }),
      (e) =>
        e instanceof ConfigInvalidError &&
        e.message ===
          [
            'flag --log-opt: "tiny" must be a size of at least 1k, such as "10m"',
            'flag --max-concurrent-downloads: expected a number, got string "many"',
            'flag --socket: "tcp://0.0.0.0:2375" is not a loopback address: berth\'s API has no TLS, so it listens on a unix socket or on loopback only',
            "3 problems in the daemon's settings (the command line)",
          ].join('\n'),
    );
  });

  it('tells which keys changed between two settings (what a reload looks at)', () => {
    const a = resolveSettings({ file: parseConfig(FILE, '{"log-level": "info", "labels": ["a=1"]}') });
    const b = resolveSettings({ file: parseConfig(FILE, '{"labels": ["a=1"], "data-root": "/srv/b", "registry-mirrors": ["https://m.example"]}') });
    assert.deepEqual(changedKeys(a, b), ['data-root', 'registry-mirrors']);
    // A reload applies registry-mirrors; data-root keeps its running value, the file's pending.
    const kept = keepOnReload(a, b, ['data-root']);
    assert.deepEqual([kept.values['data-root'], kept.sources['data-root'], kept.where['data-root']], ['/var/lib/berth', 'default', undefined]);
    assert.deepEqual(kept.values['registry-mirrors'], ['https://m.example']);
    assert.deepEqual(describeSettings(kept).find((i) => i.key === 'data-root'), { key: 'data-root', value: '/var/lib/berth', source: 'default', live: false, pending: '/srv/b' });
    assert.deepEqual(changedKeys(kept, b), ['data-root'], 'the next reload still sees it as needing a restart');
  });

  describe('the file on disk', () => {
    let dir: Awaited<ReturnType<typeof tempDir>>;
    before(async () => (dir = await tempDir()));
    after(async () => dir.remove());

    it('is optional at its default place, required when named', async () => {
      assert.equal(await loadConfigFile(join(dir.path, 'absent.json'), { named: false }), undefined);
      await assert.rejects(loadConfigFile(join(dir.path, 'absent.json'), { named: true }), (e) => e instanceof NotFoundError && /leave out --config-file/.test(e.message));
      await writeFile(join(dir.path, 'daemon.json'), '{"labels": ["a=b"]}\n');
      assert.deepEqual((await loadConfigFile(join(dir.path, 'daemon.json'), { named: true }))!.config, { labels: ['a=b'] });
    });
  });
});
