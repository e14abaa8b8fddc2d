// Debian's docker-compose 1.29 (/usr/bin/docker-compose, docker-py underneath) drives berth through
// the Docker Engine API: `up -d` of three services on a user-defined network with a named volume,
// depends_on (one waiting for a healthcheck), a published port and services reaching each other by
// service name (compose's network aliases); ps, port, logs, exec, stop/start/restart, down -v. Compose
// names containers "demo_web_1", which are not berth names: berth gives them names of their own and
// answers to the Docker names (specs/docker/docker-name.ts). Real containers (runc), in a private
// network namespace.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { insidePrivateNetns } from '../engine/network/harness.ts';
import { berth } from '../fixtures/helpers.ts';
import { world, type World } from './helpers.ts';
import { composeCli } from './docker-clients.ts';

const composeFile = (image: string) => `version: "2.4"
services:
  db:
    image: ${image}
    command: ["sh", "-c", "echo db up; echo stored > /data/db.txt; exec sleep 1000"]
    volumes: ["data:/data"]
    networks: [back]
    healthcheck:
      test: ["CMD-SHELL", "test -f /data/db.txt"]
      interval: 1s
      retries: 30
  web:
    image: ${image}
    command: ["sh", "-c", "echo web up; exec httpd -f -p 8080 -h /etc"]
    ports: ["8080"]
    networks: [back]
    depends_on:
      db:
        condition: service_healthy
  worker:
    image: ${image}
    command: ["sh", "-c", "echo worker up; exec sleep 1000"]
    volumes: ["data:/data"]
    networks: [back]
    depends_on: [web]
networks:
  back: {}
volumes:
  data: {}
`;

/** Two services that print and end: what an attached `up` follows to their end. */
const attachedFile = (image: string) => `version: "2.4"
services:
  first:
    image: ${image}
    command: ["sh", "-c", "echo first says hi; echo first warns >&2; sleep 1"]
  second:
    image: ${image}
    command: ["sh", "-c", "sleep 1; echo second says bye; exit 3"]
`;

if (insidePrivateNetns(import.meta.url)) {
  describe('docker-compose 1.29 drives berth through the Docker Engine API', { timeout: 600_000 }, () => {
    let w: World;
    let file: string;
    const compose = (args: string[]) => composeCli(w, 'demo', file)(args);
    const ok = async (args: string[]) => {
      const r = await compose(args);
      assert.equal(r.code, 0, `docker-compose ${args.join(' ')}: ${r.stdout}\n${r.stderr}`);
      return r;
    };
    before(async () => {
      w = await world();
      await w.start({ dockerSocket: join(w.dir, 'docker.sock') });
      file = join(w.dir, 'docker-compose.yml');
      await writeFile(file, composeFile(w.image));
    });
    after(async () => w?.teardown());

    it('up without -d: attached to the services, their output shown, ended when they end (events followed by label and Docker name)', async () => {
      const attached = join(w.dir, 'attached.yml');
      await writeFile(attached, attachedFile(w.image));
      const run = (args: string[]) => composeCli(w, 'att', attached)(args);
      const up = await run(['up']);
      assert.equal(up.code, 0, `${up.stdout}\n${up.stderr}`);
      assert.match(up.stdout, /^Attaching to (att_first_1, att_second_1|att_second_1, att_first_1)$/m);
      assert.match(up.stdout, /^first_1 +\| first says hi$/m);
      assert.match(up.stdout, /^first_1 +\| first warns$/m);
      assert.match(up.stdout, /^second_1 +\| second says bye$/m);
      assert.match(up.stdout, /^att_first_1 exited with code 0$/m);
      assert.match(up.stdout, /^att_second_1 exited with code 3$/m);
      const down = await run(['down']);
      assert.deepEqual([...down.stderr.matchAll(/Removing (\S+) +\.\.\. done/g)].map((m) => m[1]).sort(), ['att_first_1', 'att_second_1'], down.stderr);
      assert.equal((await berth(['ps', '-a', '-q'], { socket: w.socket })).stdout, '');
    });

    it('up -d (twice), ps, port, logs, exec, stop/start/restart, down -v: names, network aliases, volume, depends_on, healthcheck', async () => {
      const up = await ok(['up', '-d']);
      assert.match(up.stderr, /Creating network "demo_back" with the default driver\n/);
      assert.match(up.stderr, /Creating volume "demo_data" with default driver\n/);
      // depends_on: db (healthy) before web before worker; compose's own names, numbered 1.
      const created = [...up.stderr.matchAll(/Creating (\S+) \.\.\. done/g)].map((m) => m[1]);
      assert.deepEqual(created, ['demo_db_1', 'demo_web_1', 'demo_worker_1']);

      // A second up finds them by their labels and Docker names, and leaves them be.
      const again = await ok(['up', '-d']);
      assert.deepEqual([...again.stderr.matchAll(/^(\S+) is up-to-date$/gm)].map((m) => m[1]), ['demo_db_1', 'demo_web_1', 'demo_worker_1']);

      const rows = (await ok(['ps'])).stdout.split('\n').slice(2).filter(Boolean);
      assert.equal(rows.length, 3, rows.join('\n'));
      assert.match(rows[0]!, /^demo_db_1 +sh -c echo db up; echo sto \.\.\. +Up \(healthy\) /);
      assert.match(rows[1]!, /^demo_web_1 +sh -c echo web up; exec ht \.\.\. +Up +0\.0\.0\.0:\d+->8080\/tcp/);
      assert.match(rows[2]!, /^demo_worker_1 +sh -c echo worker up; exec \.\.\. +Up /);

      // The published port answers: httpd serving /etc.
      const port = (await ok(['port', 'web', '8080'])).stdout.trim();
      assert.match(port, /^0\.0\.0\.0:\d+$/);
      const passwd = await fetch(`http://127.0.0.1:${port.split(':')[1]}/passwd`).then((r) => r.text());
      assert.match(passwd, /^root:/);

      assert.match((await ok(['logs', '--no-color', 'web'])).stdout, /^web_1 +\| web up$/m);
      // worker and db share the named volume.
      assert.equal((await ok(['exec', '-T', 'worker', 'cat', '/data/db.txt'])).stdout, 'stored\n');

      // Services reach each other by service name on the project's network (compose's aliases).
      assert.match((await ok(['exec', '-T', 'worker', 'wget', '-q', '-O-', 'http://web:8080/passwd'])).stdout, /^root:/);
      assert.match((await ok(['exec', '-T', 'web', 'grep', '-w', 'db', '/etc/hosts'])).stdout, /^\d+\.\d+\.\d+\.\d+\s.*\bdb\b/);

      // stop, start and restart by service.
      assert.match((await ok(['stop', 'worker'])).stderr, /Stopping demo_worker_1 \.\.\. done/);
      assert.match((await ok(['ps', 'worker'])).stdout, /^demo_worker_1 .* Exit 137 /m);
      assert.match((await ok(['start', 'worker'])).stderr, /Starting worker \.\.\. done/);
      assert.match((await ok(['restart', 'web'])).stderr, /Restarting demo_web_1 \.\.\. done/);
      assert.match((await ok(['ps', 'web', 'worker'])).stdout, /^demo_web_1 .* Up .*\n^demo_worker_1 .* Up /m);

      // berth's own names for them: valid berth names, the Docker name kept.
      const names = (await berth(['ps', '-a', '--format', '{{.Names}}'], { socket: w.socket })).stdout.split('\n').filter(Boolean).sort();
      assert.deepEqual(names.map((n) => n.replace(/-[0-9a-f]{8}$/, '')), ['demo-db-1', 'demo-web-1', 'demo-worker-1']);

      const down = await ok(['down', '-v']);
      assert.deepEqual([...down.stderr.matchAll(/Removing (\S+) +\.\.\. done/g)].map((m) => m[1]).sort(), ['demo_db_1', 'demo_web_1', 'demo_worker_1']);
      assert.match(down.stderr, /Removing network demo_back\n/);
      assert.match(down.stderr, /Removing volume demo_data\n/);
      assert.equal((await ok(['ps', '-q'])).stdout, '');
      assert.equal((await berth(['ps', '-a', '-q'], { socket: w.socket })).stdout, '');
    });
  });
}
