import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SimulatedClock } from 'xstate';
import { ProbeCounter, runProbe, startProber } from '../../controllers/probes.ts';
import type { ProbeCheck } from '../../engine/engine.ts';
import { runProbeCheck, type ProbeExec } from '../../engine/probes.ts';
import { Probe } from '../../specs/schema.ts';
import { settle } from './fake-engine.ts';

const noExec = async () => ({ exitCode: 0, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) });
/** The engine's checks (engine/probes.ts) behind the controllers' resolution of ports and host. */
const engineRun = (exec: ProbeExec) => (check: ProbeCheck) => runProbeCheck(check, exec);

describe('probe checks (controllers resolve, the engine checks) against real sockets on loopback', () => {
  let http: Server;
  let port = 0;
  before(async () => {
    http = createServer((req, res) => {
      res.statusCode = req.url === '/healthz' ? 200 : req.url === '/moved' ? 302 : 500;
      res.end();
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    port = (http.address() as AddressInfo).port;
  });
  after(() => http.close());

  it('httpGet: 2xx/3xx succeed, 5xx fails with the status code, a named port resolves', async () => {
    const target = { run: engineRun(noExec), host: '127.0.0.1', ports: [{ name: 'http', containerPort: port, protocol: 'TCP' as const }] };
    assert.deepEqual(await runProbe(Probe.parse({ httpGet: { path: '/healthz', port: 'http' } }), target), { ok: true });
    assert.deepEqual(await runProbe(Probe.parse({ httpGet: { path: '/moved', port } }), target), { ok: true });
    assert.deepEqual(await runProbe(Probe.parse({ httpGet: { path: '/broken', port } }), target), {
      ok: false,
      message: 'HTTP probe failed with statuscode: 500',
    });
    const bad = await runProbe(Probe.parse({ httpGet: { port: 'nope' } }), target);
    assert.equal(bad.ok, false);
    assert.match(bad.message!, /names no port/);
  });

  it('tcpSocket: an open port succeeds, a closed one fails', async () => {
    const srv = createTcpServer((s) => s.end());
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const open = (srv.address() as AddressInfo).port;
    await new Promise<void>((r) => srv.close(() => r()));
    const target = { run: engineRun(noExec), host: '127.0.0.1', ports: [] };
    assert.equal((await runProbe(Probe.parse({ tcpSocket: { port } }), target)).ok, true);
    const closed = await runProbe(Probe.parse({ tcpSocket: { port: open } }), target);
    assert.equal(closed.ok, false);
    assert.match(closed.message!, /ECONNREFUSED/);
  });

  it('exec: the exit code decides, with the output in the message', async () => {
    const target = {
      run: engineRun(async (cmd, timeoutMs) => ({ exitCode: cmd[0] === 'ok' ? 0 : 3, stdout: Buffer.from(`t=${timeoutMs}`), stderr: Buffer.alloc(0) })),
      host: '127.0.0.1',
      ports: [],
    };
    assert.deepEqual(await runProbe(Probe.parse({ exec: { command: ['ok'] } }), target), { ok: true });
    assert.deepEqual(await runProbe(Probe.parse({ exec: { command: ['bad'] }, timeoutSeconds: 2 }), target), {
      ok: false,
      message: 'command ["bad"] exited with 3: t=2000',
    });
  });
});

describe('probe timing and thresholds', () => {
  it('ProbeCounter flips only after the thresholds in a row', () => {
    const c = new ProbeCounter({ successThreshold: 2, failureThreshold: 3 });
    assert.deepEqual([true, false, true, true].map((x) => c.record(x)), [undefined, undefined, undefined, true]);
    assert.deepEqual([false, false, true, false, false, false].map((x) => c.record(x)), [undefined, undefined, undefined, undefined, undefined, false]);
  });

  it('checks at initialDelaySeconds, then every periodSeconds, until stopped', async () => {
    const clock = new SimulatedClock();
    const at: number[] = [];
    const stop = startProber({
      probe: Probe.parse({ exec: { command: ['x'] }, initialDelaySeconds: 5, periodSeconds: 3 }),
      clock,
      check: async () => {
        at.push(clock.now());
        return { ok: true };
      },
      onResult: () => {},
    });
    for (let t = 0; t < 12; t++) {
      clock.increment(1000);
      await settle();
    }
    stop();
    clock.increment(60_000);
    await settle();
    assert.deepEqual(at, [5000, 8000, 11000]);
  });
});
