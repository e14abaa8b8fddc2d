// The daemon killed with SIGKILL in the middle of applying 20 containers: the next daemon on the
// same root converges — every container running once, none duplicated, none orphaned — and a
// container berth did not create is reported, never killed. Inside a private network namespace (the
// containers are on the default bridge network).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApiClient } from '../../cli/client.ts';
import { RuncRuntime } from '../../engine/runtime/runc-runtime.ts';
import { BERTH } from '../fixtures/helpers.ts';
import { makeBundle, makeBusyboxRootfs } from '../engine/runtime/bundle.ts';
import { apply, containerManifest, until, world, type World } from './helpers.ts';
import { insidePrivateNetns } from '../engine/network/harness.ts';

function startDaemonProcess(w: World): ChildProcess {
  return spawn(process.execPath, [BERTH, 'daemon', '--root', w.root, '--socket', w.socket, '--runtime', 'runc', '--cgroup-parent', w.cgroupParent], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env },
  });
}

async function waitServing(client: ApiClient): Promise<void> {
  await until('the daemon serves', async () => (await client.json<{ ok: boolean }>('GET', '/v1/ping')).ok);
}

if (insidePrivateNetns(import.meta.url)) {
  describe('daemon killed mid-apply', () => {
    let w: World;
    let proc: ChildProcess | undefined;
    const foreign = 'foreign-' + process.pid;
    let runtime: RuncRuntime;

    before(async () => {
      w = await world();
      runtime = new RuncRuntime({ stateDir: join(w.root, 'runtime') });
    });
    after(async () => {
      if (proc && proc.exitCode === null) {
        proc.kill('SIGTERM');
        await new Promise((r) => proc!.once('exit', r));
      }
      await w?.teardown();
    });

    it('converges after a restart with no duplicate and no orphan', async () => {
      proc = startDaemonProcess(w);
      await waitServing(w.client);
      // A container in berth's runtime that berth did not create.
      const rootfs = makeBusyboxRootfs(join(w.dir, 'foreign-rootfs'));
      await runtime.run({ id: foreign, bundle: makeBundle(join(w.dir, 'foreign'), rootfs, w.cgroupParent, foreign, { args: ['sleep', '600'] }) });

      const names = Array.from({ length: 20 }, (_, i) => `c${i}`);
      await apply(w, ...names.map((n) => containerManifest(n, w.image, `  command: [sleep, "600"]\n  terminationGracePeriodSeconds: 1\n`)));
      // Killed while it is creating them: some run, some do not yet.
      await until('a few containers created', () => readdirSync(join(w.root, 'containers'), { withFileTypes: true }).length >= 3, 60_000);
      proc.kill('SIGKILL');
      await new Promise((r) => proc!.once('exit', r));

      proc = startDaemonProcess(w);
      await waitServing(w.client);
      let seen = '';
      await until(
        'all 20 Running',
        async () => {
          const items = (await w.client.json<{ items: Array<{ name: string; phase: string }> }>('GET', '/v1/containers', { query: { all: true } })).items;
          seen = items.map((i) => `${i.name}:${i.phase}`).join(' ');
          for (const i of items.filter((x) => x.phase === 'Failed')) seen += ` ${i.name}: ${JSON.stringify((await w.get(i.name)).status?.state)}`;
          return names.every((n) => items.some((i) => i.name === n && i.phase === 'Running'));
        },
        120_000,
      ).catch((e: Error) => {
        throw new Error(`${e.message}; last seen: ${seen}`);
      });
      const running = (await runtime.list()).filter((s) => s.status === 'running');
      assert.equal(running.length, 21, 'twenty containers and the foreign one, each once');
      const dirs = readdirSync(join(w.root, 'containers'));
      assert.equal(dirs.length, 20, 'no orphaned container directory');
      const all = (await w.client.json<{ items: Array<{ name: string; id?: string; managed?: boolean }> }>('GET', '/v1/containers', { query: { all: true } })).items;
      assert.ok(all.some((c) => JSON.stringify(c).includes(foreign)), 'the foreign container is reported');
      assert.equal((await runtime.state(foreign)).status, 'running', 'and left running');
    });
  });
}
