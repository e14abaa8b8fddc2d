// Docker's run flags → a Container object (specs/docker/run.ts), and back for inspect.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from '../../specs/errdefs.ts';
import { dockerEntrypointCmd, escapeVars, unescapeVars } from '../../specs/docker/command.ts';
import { dockerRestartOf, parseDockerRestart, restartRule } from '../../specs/docker/restart.ts';
import { dockerRunRequest, parseEnvFile } from '../../specs/docker/run.ts';
import { expandVars } from '../../engine/container-config.ts';
import { API_VERSION, ContainerObject } from '../../specs/schema.ts';

const refused = (fn: () => unknown, re: RegExp) => assert.throws(fn, (e: Error) => e instanceof InvalidArgumentError && re.test(e.message), String(re));
const valid = (spec: Record<string, unknown>) => ContainerObject.safeParse({ apiVersion: API_VERSION, kind: 'Container', metadata: { name: 'x' }, spec });

describe('docker run → Container spec', () => {
  it('arguments replace CMD (args), --entrypoint replaces ENTRYPOINT (command), both verbatim', () => {
    assert.deepEqual(dockerRunRequest('img', [], {}).spec.args, undefined);
    assert.deepEqual(dockerRunRequest('img', ['x'], {}).spec.args, ['x']);
    assert.equal(dockerRunRequest('img', ['x'], {}).spec.command, undefined);
    const ep = dockerRunRequest('img', ['y'], { entrypoint: 'echo' }).spec;
    assert.deepEqual([ep.command, ep.args], [['echo'], ['y']]);
    assert.deepEqual(dockerRunRequest('img', ['sh', '-c', 'x'], { entrypoint: '' }).spec.command, ['sh', '-c', 'x']);
    refused(() => dockerRunRequest('img', [], { entrypoint: '' }), /--entrypoint "" clears/);
    // `$$` and `$(VAR)` reach the process as written: escaped for Kubernetes' expansion.
    const words = ['sh', '-c', 'echo pid=$$ home=$(HOME) $HOME $$$'];
    const spec = dockerRunRequest('img', words, {}).spec as { args: string[] };
    const env = new Map([['HOME', '/root']]);
    assert.deepEqual(spec.args.map((a) => expandVars(a, env)), words);
    assert.deepEqual(unescapeVars(escapeVars(words)), words);
  });

  it('inspect\'s Entrypoint and Cmd: the spec over the image', () => {
    const image = { Entrypoint: ['echo', 'ep'], Cmd: ['dflt'] };
    assert.deepEqual(dockerEntrypointCmd({}, image), { Entrypoint: ['echo', 'ep'], Cmd: ['dflt'] });
    assert.deepEqual(dockerEntrypointCmd({ args: ['x$$'] }, image), { Entrypoint: ['echo', 'ep'], Cmd: ['x$'] });
    assert.deepEqual(dockerEntrypointCmd({ command: ['echo'] }, image), { Entrypoint: ['echo'], Cmd: null });
  });

  it('restart: Docker\'s names kept, the Kubernetes policy derived, bad values list the valid ones', () => {
    assert.deepEqual(parseDockerRestart('on-failure:3'), { dockerRestartPolicy: { name: 'on-failure', maximumRetryCount: 3 }, restartPolicy: 'OnFailure' });
    assert.equal(parseDockerRestart('unless-stopped').restartPolicy, 'Always');
    assert.equal(parseDockerRestart('no').restartPolicy, 'Never');
    refused(() => parseDockerRestart('sometimes'), /"sometimes" is not a restart policy; use one of: no, always, on-failure\[:max-retries\], unless-stopped/);
    refused(() => parseDockerRestart('always:2'), /only on-failure takes/);
    refused(() => parseDockerRestart('on-failure:x'), /whole number/);
    assert.deepEqual(restartRule({ restartPolicy: 'OnFailure', dockerRestartPolicy: { name: 'on-failure', maximumRetryCount: 2 } }), { policy: 'OnFailure', maxRestarts: 2, startAfterDaemonRestart: false });
    assert.equal(restartRule({ restartPolicy: 'Always', dockerRestartPolicy: { name: 'always', maximumRetryCount: 0 } }).startAfterDaemonRestart, true);
    assert.equal(restartRule({ restartPolicy: 'Always' }).startAfterDaemonRestart, false);
    assert.deepEqual(dockerRestartOf({ restartPolicy: 'Always' }), { Name: 'unless-stopped', MaximumRetryCount: 0 });
    // The object holds both, and they must agree.
    assert.equal(valid(dockerRunRequest('img', [], { restart: 'on-failure:5' }).spec).success, true);
    const bad = valid({ image: 'img', dockerRestartPolicy: { name: 'no' } });
    assert.equal(bad.success, false);
    assert.match(bad.error!.issues.map((i) => i.message).join(), /must be Never with dockerRestartPolicy "no"/);
  });

  it('ports: -p PORT and -p IP::PORT pick a free host port (0), -P publishes what the image exposes', () => {
    const s = dockerRunRequest('img', [], { publish: ['80', '127.0.0.1::53/udp', '8080:81'], publishAll: true }).spec;
    assert.deepEqual(s.ports, [
      { containerPort: 80, hostPort: 0, protocol: 'TCP' },
      { containerPort: 53, hostPort: 0, hostIP: '127.0.0.1', protocol: 'UDP' },
      { containerPort: 81, hostPort: 8080, protocol: 'TCP' },
    ]);
    assert.equal(s.publishAllPorts, true);
    assert.equal(valid(s).success, true);
  });

  it('the other flags, each into its field', () => {
    const r = dockerRunRequest('img', [], {
      name: 'web',
      init: true,
      hostname: 'box',
      addHost: ['db.local:10.0.0.5', 'cache:10.0.0.5', 'v6:[::1]'],
      label: ['tier=web', 'flag'],
      stopSignal: 'SIGQUIT',
      stopTimeout: '3',
      pull: 'never',
      rm: true,
      detach: true,
      healthCmd: 'test -f /ok',
      healthInterval: '2s',
      healthRetries: '5',
      env: ['A=1', 'FROM_HOST', 'UNSET'],
      envFiles: [{ file: 'e.env', text: '# comment\n\nB=2\nA=from-file\n  C = 3\n' }],
    }, { FROM_HOST: 'yes' });
    assert.deepEqual(r.labels, { tier: 'web', flag: '' });
    assert.equal(r.name, 'web');
    const s = r.spec;
    assert.deepEqual(s.hostAliases, [{ ip: '10.0.0.5', hostnames: ['db.local', 'cache'] }, { ip: '::1', hostnames: ['v6'] }]);
    assert.deepEqual([s.init, s.hostname, s.stopSignal, s.terminationGracePeriodSeconds, s.imagePullPolicy, s.autoRemove], [true, 'box', 'SIGQUIT', 3, 'Never', true]);
    assert.deepEqual(s.readinessProbe, { exec: { command: ['/bin/sh', '-c', 'test -f /ok'] }, periodSeconds: 2, timeoutSeconds: 30, failureThreshold: 5, initialDelaySeconds: 0 });
    // -e after --env-file wins; a name alone takes the client's value, or is left out when unset.
    assert.deepEqual(s.env, [{ name: 'B', value: '2' }, { name: 'A', value: '1' }, { name: 'C ', value: ' 3' }, { name: 'FROM_HOST', value: 'yes' }]);
    assert.equal(valid(s).success, true);
    // --rm in the foreground: the client removes it after reading its output.
    assert.equal(dockerRunRequest('img', [], { rm: true }).spec.autoRemove, undefined);
  });

  it('bad input says what and where', () => {
    refused(() => dockerRunRequest('img', [], { rm: true, restart: 'always' }), /conflicting options: --restart and --rm/);
    refused(() => dockerRunRequest('img', [], { pull: 'sometimes' }), /--pull "sometimes" must be one of: always, missing, never/);
    refused(() => dockerRunRequest('img', [], { addHost: ['nocolon'] }), /--add-host "nocolon" is not HOST:IP/);
    refused(() => dockerRunRequest('img', [], { stopTimeout: '1.5' }), /--stop-timeout "1.5"/);
    refused(() => dockerRunRequest('img', [], { healthInterval: '5s' }), /need --health-cmd/);
    refused(() => dockerRunRequest('img', [], { healthCmd: 'x', healthInterval: 'soon' }), /--health-interval "soon" is not a duration/);
    refused(() => parseEnvFile('app.env', 'A=1\n=2\n', {}), /^app\.env:2: "=2" has no variable name/);
    refused(() => dockerRunRequest('img', [], { memory: 'lots' }), /--memory "lots" is not a size/);
    assert.equal(valid({ image: 'img', autoRemove: true, restartPolicy: 'Always' }).success, false);
    assert.equal(valid({ image: 'img', hostAliases: [{ ip: 'nope', hostnames: ['a'] }] }).success, false);
  });
});
