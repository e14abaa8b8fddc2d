// The bearer-token flow of the distribution spec against a real docker-registry configured for
// token auth: a token server written here issues RS256 JWTs (x5c header, a self-signed certificate
// made with openssl, which the registry trusts); berth asks it for a token with the credentials
// `login` stored, and reuses the token for later requests; an identity token that a credential
// helper answers (user "<token>") is traded by the OAuth2 refresh-token POST instead.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPrivateKey, randomBytes, sign } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ImageService } from '../../../engine/images/service.ts';
import { storeCredentials } from '../../../engine/registry/docker-config.ts';
import { PermissionDeniedError } from '../../../specs/errdefs.ts';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { installCredentialHelper } from '../../fixtures/cred-helper.ts';
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
  const requests: Array<{ scope: string | null; user: string | undefined; grant?: string | null }> = [];
  const REFRESH = 'identity-token-for-carol';
  const creds = { username: 'carol', password: 'open-sesame' };

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'berth-token-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(tmp, 'key.pem'), '-out', join(tmp, 'cert.pem'), '-days', '1', '-subj', '/CN=berth-test-token'], { stdio: 'ignore' });
    const key = createPrivateKey(readFileSync(join(tmp, 'key.pem')));
    const der = execFileSync('openssl', ['x509', '-in', join(tmp, 'cert.pem'), '-outform', 'DER']);
    const port = await freePort();
    const issue = (res: ServerResponse, params: URLSearchParams, user: string | undefined, refresh: boolean) => {
      requests.push({ scope: params.get('scope'), user: refresh ? '<token>' : user?.split(':')[0], ...(refresh ? { grant: params.get('grant_type') } : {}) });
      if (refresh ? params.get('refresh_token') !== REFRESH : user !== `${creds.username}:${creds.password}`) {
        res.writeHead(401).end();
        return;
      }
      const scope = params.get('scope') ?? '';
      const [, name, actions] = /^repository:(.+):([a-z,]+)$/.exec(scope) ?? [];
      const now = Math.floor(Date.now() / 1000);
      const header = { alg: 'RS256', typ: 'JWT', x5c: [der.toString('base64')] };
      const claims = {
        iss: 'berth-test-issuer', sub: creds.username, aud: 'berth-test-registry', exp: now + 300, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'),
        access: name ? [{ type: 'repository', name, actions: actions!.split(',') }] : [],
      };
      const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
      const token = `${input}.${b64url(sign('RSA-SHA256', Buffer.from(input), key))}`;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(refresh ? { access_token: token, expires_in: 300 } : { token, expires_in: 300 }));
    };
    server = createServer((req, res) => {
      const auth = req.headers.authorization;
      const user = auth?.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString() : undefined;
      if (req.method !== 'POST') return issue(res, new URL(req.url!, 'http://x').searchParams, user, false);
      // OAuth2 (distribution's token spec): an identity token traded by POST.
      let body = '';
      req.setEncoding('utf8').on('data', (d: string) => (body += d));
      req.on('end', () => issue(res, new URLSearchParams(body), user, true));
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
    await storeCredentials(reg.host, creds, configPath);
    requests.length = 0;
    const rec = await svc.pull(`${reg.host}/secure/app:1`);
    assert.deepEqual(requests, [{ scope: `repository:secure/app:pull`, user: 'carol' }], 'one token, asked with the stored user');
    await svc.pull(`${reg.host}/secure/app:1`);
    assert.equal(requests.length, 1, 'the token is reused until it expires');
    assert.equal(rec.digest, await skopeoDigest(`${reg.host}/secure/app:1`, creds));
  });

  it('asks for a pull,push token to push', async () => {
    const configPath = join(tmp, 'docker2', 'config.json');
    await storeCredentials(reg.host, creds, configPath);
    const svc = new ImageService({ root: join(tmp, 'root2'), registry: { configPath } });
    await svc.pull(`${reg.host}/secure/app:1`);
    await svc.tag(`${reg.host}/secure/app:1`, `${reg.host}/secure/copy:2`);
    requests.length = 0;
    const digest = await svc.push(`${reg.host}/secure/copy:2`);
    assert.ok(requests.some((r) => r.scope === 'repository:secure/copy:pull,push'));
    assert.equal(await skopeoDigest(`${reg.host}/secure/copy:2`, creds), digest);
  });

  it('trades an identity token from a credential helper (user <token>) at the token server, as Docker does', async () => {
    const helper = installCredentialHelper(join(tmp, 'helper'));
    try {
      helper.seed(reg.host, '<token>', REFRESH);
      const configPath = join(tmp, 'docker3', 'config.json');
      mkdirSync(join(tmp, 'docker3'));
      writeFileSync(configPath, JSON.stringify({ credHelpers: { [reg.host]: helper.name } }));
      const svc = new ImageService({ root: join(tmp, 'root3'), registry: { configPath } });
      requests.length = 0;
      const rec = await svc.pull(`${reg.host}/secure/app:1`);
      assert.deepEqual(requests, [{ scope: 'repository:secure/app:pull', user: '<token>', grant: 'refresh_token' }]);
      assert.equal(rec.digest, await skopeoDigest(`${reg.host}/secure/app:1`, creds));
    } finally {
      helper.remove();
    }
  });
});
