// The checks of liveness and readiness probes as the kubelet's prober runs them: a command inside
// the container, an HTTP GET, or a TCP connect, each bounded by its timeout. The socket and process
// work lives here, in the engine; when to check and what a result means is the controllers' part
// (controllers/probes.ts). Node's own http/https/net clients are enough for one GET or connect.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { ProbeCheck, ProbeOutcome } from './engine.ts';
import type { ExecResult } from './runtime/runtime.ts';

/** Runs a command inside the container (the engine's exec verb). */
export type ProbeExec = (command: string[], timeoutMs: number) => Promise<ExecResult>;

/** Runs one check. Never rejects: every failure is an outcome with kubelet's wording. */
export async function runProbeCheck(check: ProbeCheck, exec: ProbeExec): Promise<ProbeOutcome> {
  try {
    if ('exec' in check) return await execCheck(check.exec.command, check.timeoutMs, exec);
    if ('httpGet' in check) return await httpCheck(check.httpGet, check.timeoutMs);
    return await tcpCheck(check.tcpSocket.host, check.tcpSocket.port, check.timeoutMs);
  } catch (err) {
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
}

async function execCheck(command: string[], timeoutMs: number, exec: ProbeExec): Promise<ProbeOutcome> {
  const res = await exec(command, timeoutMs);
  if (res.exitCode === 0) return { ok: true };
  const out = Buffer.concat([res.stdout, res.stderr]).toString('utf8').trim().slice(0, 200);
  return { ok: false, message: `command ${JSON.stringify(command)} exited with ${res.exitCode}${out ? `: ${out}` : ''}` };
}

function httpCheck(g: Extract<ProbeCheck, { httpGet: unknown }>['httpGet'], timeoutMs: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const req = (g.scheme === 'HTTPS' ? httpsRequest : httpRequest)(
      {
        host: g.host,
        port: g.port,
        path: g.path,
        method: 'GET',
        headers: { 'User-Agent': 'berth-probe/1.0', ...g.headers },
        timeout: timeoutMs,
        rejectUnauthorized: false, // kubelet does not verify probe certificates either
      },
      (res) => {
        res.resume();
        const code = res.statusCode ?? 0;
        // kubelet: 200 ≤ code < 400 is a success.
        resolve(code >= 200 && code < 400 ? { ok: true } : { ok: false, message: `HTTP probe failed with statuscode: ${code}` });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`Get "http://${g.host}:${g.port}${g.path}": timeout after ${timeoutMs} ms`)));
    req.on('error', (e) => resolve({ ok: false, message: e.message }));
    req.end();
  });
}

function tcpCheck(host: string, port: number, timeoutMs: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    const done = (r: ProbeOutcome) => {
      sock.destroy();
      resolve(r);
    };
    sock.setTimeout(timeoutMs, () => done({ ok: false, message: `dial tcp ${host}:${port}: i/o timeout` }));
    sock.once('connect', () => done({ ok: true }));
    sock.once('error', (e) => done({ ok: false, message: `dial tcp ${host}:${port}: ${e.message}` }));
  });
}
