// The bearer-token flow of the distribution spec against a real docker-registry configured for
// token auth: a token server written here issues RS256 JWTs (x5c header, a self-signed certificate
// made with openssl, which the registry trusts); berth asks it for a token with the credentials
// `login` stored, and reuses the token for later requests.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPrivateKey, randomBytes, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ImageService } from '../../../engine/images/service.ts';
import { writeCredentials } from '../../../engine/registry/auth.ts';
import { PermissionDeniedError } from '../../../specs/errdefs.ts';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { buildLayoutImage } from '../../fixtures/images.ts';
import { freePort, startRegistry, type TestRegistry } from '../../fixtures/registry.ts';

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');
// skopeo asks the token server, which answers from this process: it must not be run synchronously.
const run = promisify(execFile);
const skopeoDigest = async (ref: string, c: { username: string; password: string }) =>
  (JSON.parse((await run('skopeo', ['inspect', '--tls-verify=false', '--creds', `${c.username}:${c.password}`, `docker://${ref}`])).stdout) as { Digest: string }).Digest;

describe('registry bearer tokens', () => {
  let tmp: string;
  let reg: TestRegistry;
  let server: Server;
  const requests: Array<{ scope: string | null; user: string | undefined }> = [];
  const creds = { username: 'carol', password: 'open-sesame' };

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'berth-token-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(tmp, 'key.pem'), '-out', join(tmp, 'cert.pem'), '-days', '1', '-subj', '/CN=berth-test-token'], { stdio: 'ignore' });
    const key = createPrivateKey(readFileSync(join(tmp, 'key.pem')));
    const der = execFileSync('openssl', ['x509', '-in', join(tmp, 'cert.pem'), '-outform', 'DER']);
    const port = await freePort();
    server = createServer((req, res) => {
      const url = new URL(req.url!, 'http://x');
      const auth = req.headers.authorization;
      const user = auth?.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString() : undefined;
      requests.push({ scope: url.searchParams.get('scope'), user: user?.split(':')[0] });
      if (user !== `${creds.username}:${creds.password}`) {
        res.writeHead(401).end();
        return;
      }
      const scope = url.searchParams.get('scope') ?? '';
      const [, name, actions] = /^repository:(.+):([a-z,]+)$/.exec(scope) ?? [];
      const now = Math.floor(Date.now() / 1000);
      const header = { alg: 'RS256', typ: 'JWT', x5c: [der.toString('base64')] };
      const claims = {
        iss: 'berth-test-issuer', sub: creds.username, aud: 'berth-test-registry', exp: now + 300, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'),
        access: name ? [{ type: 'repository', name, actions: actions!.split(',') }] : [],
      };
      const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
      const token = `${input}.${b64url(sign('RSA-SHA256', Buffer.from(input), key))}`;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, expires_in: 300 }));
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    reg = await startRegistry({
      token: { realm: `http://127.0.0.1:${port}/token`, service: 'berth-test-registry', issuer: 'berth-test-issuer', rootCertBundle: join(tmp, 'cert.pem') },
    });
    const src = buildLayoutImage(join(tmp, 'src')).layout;
    await run('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', '--dest-creds', `${creds.username}:${creds.password}`, src, `docker://${reg.host}/secure/app:1`]);
  });
  after(async () => {
    server?.close();
    await reg?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('is refused without credentials, and pulls with them through a token it then reuses', async () => {
    const configPath = join(tmp, 'docker', 'config.json');
    const svc = new ImageService({ root: join(tmp, 'root'), registry: { configPath } });
    await assert.rejects(svc.pull(`${reg.host}/secure/app:1`), PermissionDeniedError);
    writeCredentials(reg.host, creds, configPath);
    requests.length = 0;
    const rec = await svc.pull(`${reg.host}/secure/app:1`);
    assert.deepEqual(requests, [{ scope: `repository:secure/app:pull`, user: 'carol' }], 'one token, asked with the stored user');
    await svc.pull(`${reg.host}/secure/app:1`);
    assert.equal(requests.length, 1, 'the token is reused until it expires');
    assert.equal(rec.digest, await skopeoDigest(`${reg.host}/secure/app:1`, creds));
  });

  it('asks for a pull,push token to push', async () => {
    const configPath = join(tmp, 'docker2', 'config.json');
    writeCredentials(reg.host, creds, configPath);
    const svc = new ImageService({ root: join(tmp, 'root2'), registry: { configPath } });
    await svc.pull(`${reg.host}/secure/app:1`);
    await svc.tag(`${reg.host}/secure/app:1`, `${reg.host}/secure/copy:2`);
    requests.length = 0;
    const digest = await svc.push(`${reg.host}/secure/copy:2`);
    assert.ok(requests.some((r) => r.scope === 'repository:secure/copy:pull,push'));
    assert.equal(await skopeoDigest(`${reg.host}/secure/copy:2`, creds), digest);
  });
});
