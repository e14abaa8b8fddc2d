// The daemon killed with SIGKILL at a random moment of each of many rounds of `apply` of 50
// containers and `delete` of them all, and started again: after each round it converges with no
// object lost, no duplicate container, and once they are deleted nothing left — no process
// (monitor or container), mount, cgroup, network namespace, veth or record. The native runtime
// (the daemon's default), inside a private network namespace. Of the 50, 20 are on the default
// bridge network (a namespace, a veth, an address), 10 on `none` (a namespace), 20 on `host`: each
// kind of network state is exercised, and 20 rounds stay within minutes on a 2-core host.
// BERTH_CRASH_ROUNDS sets the number of rounds (default 20).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NativeRuntime } from '../../engine/runtime/native-runtime.ts';
import { insidePrivateNetns } from '../engine/network/harness.ts';
import { apply, containerManifest, until, world, type World } from './helpers.ts';
import { DaemonProcess, leftovers, nothingLeft } from './leftovers.ts';

const ROUNDS = Number(process.env.BERTH_CRASH_ROUNDS ?? 20);
const N = 50;
/** The containers' command: a duration no other test uses, to find their processes by. */
const SLEEP = String(86_400 + (process.pid % 10_000));

class Killed extends Error {}

/** How far a round got: the requests answered, and the step it was in. */
interface Progress {
  applied: boolean;
  /** The delete was sent: done or not, all or nothing, when its answer did not come. */
  deleteSent: boolean;
  deleted: boolean;
  phase: string;
}

interface Item {
  name: string;
  phase: string;
}

if (insidePrivateNetns(import.meta.url, { timeout: 3_600_000 })) {
  describe('daemon killed at random moments of apply and delete', { timeout: 3_600_000 }, () => {
    let w: World;
    let d: DaemonProcess;
    const names = Array.from({ length: N }, (_, i) => `k${i}`);
    const phases: string[] = [];
    const network = (i: number) => (i % 5 < 2 ? '' : i % 5 === 2 ? '  network: none\n' : '  network: host\n');
    const docs = () => names.map((n, i) => containerManifest(n, w.image, `  command: [sleep, "${SLEEP}"]\n${network(i)}  terminationGracePeriodSeconds: 0\n`));
    const objects = async () => (await d.client.json<{ items: Array<{ metadata: { name: string } }> }>('GET', '/v1/objects/container')).items.map((o) => o.metadata.name);
    const items = async () => (await d.client.json<{ items: Item[] }>('GET', '/v1/containers', { query: { all: true } })).items;
    const runtime = () => new NativeRuntime({ stateDir: join(w.root, 'runtime') });
    const sleepers = () =>
      readdirSync('/proc').filter((p) => /^\d+$/.test(p) && (() => {
        try {
          return readFileSync(`/proc/${p}/cmdline`, 'utf8') === `sleep\0${SLEEP}\0`;
        } catch {
          return false;
        }
      })());

    before(async () => {
      w = await world();
      d = new DaemonProcess({ root: w.root, socket: w.socket, cgroupParent: w.cgroupParent, runtime: 'native' });
    });
    after(async () => {
      await d?.kill('SIGTERM');
      await w?.teardown();
    });

    /** apply → all Running → delete → all gone, each step giving up at once when the daemon is killed. */
    async function round(killed: () => boolean, done: Progress): Promise<void> {
      const orKilled = (e: unknown) => Promise.reject(killed() ? new Killed() : e);
      const step = async (what: string, check: () => Promise<boolean>) => {
        // Not until(): it would keep polling a daemon that is gone.
        for (const deadline = Date.now() + 300_000; !(await check().catch(orKilled)); ) {
          if (killed()) throw new Killed();
          if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      };
      const t0 = Date.now();
      done.phase = 'applying';
      await apply(w, ...docs()).then(() => (done.applied = true), orKilled);
      done.phase = 'starting';
      await step('all Running', async () => (await items()).filter((i) => i.phase === 'Running').length === N);
      const t1 = Date.now();
      done.phase = 'deleting';
      done.deleteSent = true;
      await d.client.json('POST', '/v1/delete', { body: { objects: names.map((name) => ({ kind: 'Container', name })) } }).then(() => (done.deleted = true), orKilled);
      done.phase = 'removing';
      const empty = () => readdirSync(join(w.root, 'containers')).length === 0;
      await step('all removed', async () => (await items()).length === 0 && empty() && nothingLeft(await leftovers(w.root, w.cgroupParent, d.proc?.pid)));
      done.phase = 'done';
      phases.push(`apply to all Running ${t1 - t0} ms, delete to all removed ${Date.now() - t1} ms`);
    }

    /** After the restart: the objects are as the last answered request left them, then converge. */
    async function converge(done: Progress, r: number): Promise<string> {
      const stored = await objects();
      if (done.deleted) assert.deepEqual(stored, [], `round ${r}: the delete that was answered holds`);
      else if (done.applied && !done.deleteSent) assert.equal(stored.length, N, `round ${r}: the apply that was answered holds`);
      else assert.ok(stored.length === 0 || stored.length === N, `round ${r}: an apply or a delete that was not answered is all or nothing, got ${stored.length}`);
      if (stored.length) {
        // Converged: every object Running, one container (record, runtime state, process) for each.
        let counts = '';
        await until(`round ${r}: all ${N} Running, none duplicated`, async () => {
          const running = (await items()).filter((i) => i.phase === 'Running').length;
          const live = (await runtime().list()).filter((s) => s.status === 'running').length;
          const records = readdirSync(join(w.root, 'containers')).length;
          counts = `Running ${running}, runtime ${live}, records ${records}, processes ${sleepers().length}`;
          return [running, live, records, sleepers().length].every((n) => n === N);
        }, 300_000).catch((e: Error) => {
          throw new Error(`${e.message}; last seen: ${counts}`);
        });
        await d.client.json('POST', '/v1/delete', { body: { objects: names.map((name) => ({ kind: 'Container', name })) } });
      }
      const t0 = Date.now();
      const since = stored.length ? 'the delete' : 'the restart';
      let seen = await leftovers(w.root, w.cgroupParent, d.proc?.pid);
      await until(`round ${r}: nothing left of the deleted containers`, async () => {
        seen = await leftovers(w.root, w.cgroupParent, d.proc?.pid);
        return nothingLeft(seen) && sleepers().length === 0 && (await items()).length === 0;
      }, 120_000).catch((e: Error) => {
        // What a left runtime directory holds says which step of a start or a removal it is from.
        const states = seen.runtime.map((id) => {
          const dir = join(w.root, 'runtime', 'containers', id);
          try {
            const files = readdirSync(dir);
            const meta = files.includes('meta.json') ? readFileSync(join(dir, 'meta.json'), 'utf8') : '';
            return `${id.slice(0, 12)}: [${files.join(' ')}] ${meta}`;
          } catch (err) {
            return `${id.slice(0, 12)}: ${(err as Error).message}`;
          }
        });
        throw new Error(`${e.message}; left: ${JSON.stringify(seen)}; sleepers: ${sleepers().join(' ')}; runtime directories: ${states.join('; ')}`);
      });
      return `nothing left ${Date.now() - t0} ms after ${since}`;
    }

    it(`converges after each of ${ROUNDS} rounds with the daemon killed at a random moment`, async () => {
      await d.start();
      // A first round undisturbed: pulls the image and measures how long a round takes.
      const t0 = Date.now();
      await round(() => false, { applied: false, deleteSent: false, deleted: false, phase: '' });
      const span = Date.now() - t0;
      const report: string[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        const done: Progress = { applied: false, deleteSent: false, deleted: false, phase: '' };
        const at = Math.round(Math.random() * span);
        let killed = false;
        let phase = '';
        const killing = new Promise<void>((resolve) =>
          setTimeout(() => {
            killed = true;
            phase = done.phase;
            void d.kill().then(resolve);
          }, at),
        );
        const work = round(() => killed, done).catch((e) => {
          if (!(e instanceof Killed) && !killed) throw e;
        });
        await Promise.all([killing, work]);
        await d.start();
        report.push(`round ${r}: killed at ${at} ms, ${phase}; ${await converge(done, r)}`);
      }
      console.log(`a round undisturbed: ${span} ms (${phases[0]})\n${report.join('\n')}`);
    });
  });
}
