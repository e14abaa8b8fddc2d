// Docker config credsStore and credHelpers: credentials kept by a `docker-credential-*` helper (one
// the test writes, on PATH), used as Docker's CLI uses them, against a real docker-registry with
// htpasswd basic auth; skopeo reads the same credHelpers through the same helper.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ImageService } from '../../../engine/images/service.ts';
import { eraseCredentials, readCredentials, storeCredentials } from '../../../engine/registry/docker-config.ts';
import { PermissionDeniedError, UnavailableError } from '../../../specs/errdefs.ts';
import { installCredentialHelper, type TestCredentialHelper } from '../../fixtures/cred-helper.ts';
import { buildLayoutImage, pushToRegistry, skopeoDigest } from '../../fixtures/images.ts';
import { startRegistry, type TestRegistry } from '../../fixtures/registry.ts';

describe('credential helpers (credsStore, credHelpers)', () => {
  let reg: TestRegistry;
  let tmp: string;
  let helper: TestCredentialHelper;
  let n = 0;
  let configPath: string;
  const creds = { username: 'dora', password: 'kept-elsewhere' };
  const image = () => `${reg.host}/private/app:1`;
  const config = (body: object) => writeFileSync(configPath, JSON.stringify(body));
  const pull = () => new ImageService({ root: join(tmp, `root${n}`), registry: { configPath } }).pull(image());

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'berth-credhelper-'));
    reg = await startRegistry({ htpasswd: creds });
    pushToRegistry(buildLayoutImage(join(tmp, 'src')).layout, image(), creds);
    helper = installCredentialHelper(tmp);
  });
  beforeEach(() => {
    n++;
    configPath = join(tmp, `config${n}.json`);
  });
  after(async () => {
    helper?.remove();
    await reg?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('login with credsStore hands the credentials to the helper, and the file keeps only that it is logged in', async () => {
    config({ credsStore: 'berthtest', auths: {} });
    const from = helper.calls().length;
    assert.deepEqual(await storeCredentials(reg.host, creds, configPath), { helper: 'berthtest' });
    assert.deepEqual(helper.calls().slice(from), [{ action: 'store', input: JSON.stringify({ ServerURL: reg.host, Username: 'dora', Secret: 'kept-elsewhere' }) }]);
    const file = JSON.parse(readFileSync(configPath, 'utf8'));
    assert.deepEqual(file, { credsStore: 'berthtest', auths: { [reg.host]: {} } });
    assert.ok(!readFileSync(configPath, 'utf8').includes('kept-elsewhere'));
  });

  it('pulls with what the helper answers to `get <server>`', async () => {
    config({ credsStore: 'berthtest', auths: { [reg.host]: {} } });
    const from = helper.calls().length;
    const rec = await pull();
    assert.equal(rec.digest, skopeoDigest(image(), creds));
    assert.deepEqual(helper.calls().slice(from)[0], { action: 'get', input: reg.host });
  });

  it('credHelpers for the registry wins over credsStore; skopeo reads the same credHelpers', async () => {
    config({ credsStore: 'not-installed', credHelpers: { [reg.host]: 'berthtest' } });
    const rec = await pull();
    assert.equal(rec.digest, skopeoDigest(image(), creds));
    // skopeo 1.9 reads credHelpers (not credsStore) from a Docker config given as --authfile.
    config({ credHelpers: { [reg.host]: 'berthtest' } });
    const viaSkopeo = JSON.parse(execFileSync('skopeo', ['inspect', '--tls-verify=false', '--authfile', configPath, `docker://${image()}`], { encoding: 'utf8' })) as { Digest: string };
    assert.equal(viaSkopeo.Digest, rec.digest);
  });

  it('with a helper configured, auths in the file are not used (as Docker): a helper with nothing means no credentials', async () => {
    helper.forget(reg.host);
    config({ credHelpers: { [reg.host]: 'berthtest' }, auths: { [reg.host]: { auth: Buffer.from('dora:kept-elsewhere').toString('base64') } } });
    assert.equal(await readCredentials(reg.host, configPath), undefined);
    await assert.rejects(pull(), (e: Error) => e instanceof PermissionDeniedError && /berth login/.test(e.message));
  });

  it('a helper that is not installed is an UnavailableError that names it', async () => {
    config({ credsStore: 'not-installed' });
    await assert.rejects(pull(), (e: Error) => e instanceof UnavailableError && /docker-credential-not-installed .*not on PATH/.test(e.message));
  });

  it('logout erases from the helper and the file; a second logout finds nothing', async () => {
    config({ credsStore: 'berthtest', auths: {} });
    await storeCredentials(reg.host, creds, configPath);
    const from = helper.calls().length;
    assert.deepEqual(await eraseCredentials(reg.host, configPath), { had: true });
    assert.deepEqual(helper.calls().slice(from), [{ action: 'erase', input: reg.host }]);
    assert.equal(helper.stored()[reg.host], undefined);
    assert.deepEqual(JSON.parse(readFileSync(configPath, 'utf8')).auths, {});
    assert.deepEqual(await eraseCredentials(reg.host, configPath), { had: false });
  });

  it("Docker Hub's credentials are filed under its index URL; a <token> user is an identity token", async () => {
    config({ credsStore: 'berthtest' });
    await storeCredentials('docker.io', { username: 'hubuser', password: 'hubpass' }, configPath);
    assert.equal(helper.stored()['https://index.docker.io/v1/']?.Username, 'hubuser');
    assert.deepEqual(await readCredentials('docker.io', configPath), { username: 'hubuser', password: 'hubpass' });
    helper.seed('https://index.docker.io/v1/', '<token>', 'refresh-me');
    assert.deepEqual(await readCredentials('docker.io', configPath), { username: '', password: '', identityToken: 'refresh-me' });
  });
});
