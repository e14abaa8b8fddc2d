// Per-registry TLS (certs.d, Docker's layout) against real registries serving https on 127.0.0.1
// (Debian's docker-registry with a certificate made here by openssl): one signed by a private CA,
// with basic auth; one that also requires a client certificate. A loopback registry is plain http
// to berth unless it has a certs.d entry; with one, pulls, pushes, logins and mirrors use https
// with its CA and client certificate. Bad files are errors naming the file.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ImageService } from '../../../engine/images/service.ts';
import { login } from '../../../engine/registry/login.ts';
import { readHostTls } from '../../../engine/registry/tls.ts';
import { InvalidArgumentError, UnavailableError } from '../../../specs/errdefs.ts';
import { buildLayoutImage, pushToRegistry, skopeoDigest } from '../../fixtures/images.ts';
import { startRegistry, type TestRegistry } from '../../fixtures/registry.ts';
import { makeCa, makeCert, type CertFiles } from '../../fixtures/tls.ts';

describe('images: per-registry TLS (certs.d)', () => {
  let tmp: string;
  let ca: CertFiles;
  let client: CertFiles;
  let reg: TestRegistry;
  let mtls: TestRegistry;
  let n = 0;
  const creds = { username: 'alice', password: 's3cret' };
  /** A certs.d directory with, per host, the files given (name → source path). */
  const certsDir = (entries: Record<string, Record<string, string>>) => {
    const dir = join(tmp, `certs${n++}`);
    for (const [host, files] of Object.entries(entries)) {
      mkdirSync(join(dir, host), { recursive: true });
      for (const [name, src] of Object.entries(files)) copyFileSync(src, join(dir, host, name));
    }
    return dir;
  };
  const service = (certs: string, mirrors: Record<string, string[]> = {}) =>
    new ImageService({ root: join(tmp, `root${n++}`), registry: { certsDir: certs, configPath: join(tmp, 'docker', 'config.json'), mirrors } });

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'berth-tls-'));
    ca = makeCa(tmp, 'registry-ca');
    const server = makeCert(tmp, 'server', ca, 'server');
    const clientCa = makeCa(tmp, 'client-ca');
    client = makeCert(tmp, 'client', clientCa, 'client');
    [reg, mtls] = await Promise.all([
      startRegistry({ tls: { certificate: server.cert, key: server.key }, htpasswd: creds }),
      startRegistry({ tls: { certificate: server.cert, key: server.key, clientcas: [clientCa.cert] } }),
    ]);
    const layout = buildLayoutImage(join(tmp, 'src'), 'v1').layout;
    pushToRegistry(layout, `${reg.host}/team/app:v1`, creds);
    pushToRegistry(layout, `${reg.host}/library/busybox:latest`, creds);
  });
  after(async () => {
    await Promise.all([reg?.stop(), mtls?.stop()]);
    rmSync(tmp, { recursive: true, force: true });
  });

  it('logs in over https with the registry\'s CA, and not without it', async () => {
    const saved = process.env.DOCKER_CONFIG;
    process.env.DOCKER_CONFIG = join(tmp, 'docker');
    try {
      // No entry: a loopback registry is plain http, which an https server does not speak.
      const none = certsDir({});
      await assert.rejects(login(reg.host, creds, { certsDir: none }), (e: Error) => e instanceof UnavailableError && e.message.endsWith(`create ${none}/${reg.host}/ holding its CA as ca.crt`));
      assert.deepEqual(await login(reg.host, creds, { certsDir: certsDir({ [reg.host]: { 'ca.crt': ca.cert } }) }), { domain: reg.host });
    } finally {
      if (saved === undefined) delete process.env.DOCKER_CONFIG;
      else process.env.DOCKER_CONFIG = saved;
    }
  });

  it('pulls over https with the CA from certs.d, and says what to do when the CA is missing', async () => {
    const svc = service(certsDir({ [reg.host]: { 'ca.crt': ca.cert } }));
    const rec = await svc.pull(`${reg.host}/team/app:v1`);
    assert.equal(rec.digest, skopeoDigest(`${reg.host}/team/app:v1`, creds));
    // An entry without the CA (only another file): https, and the server's certificate is not trusted.
    const untrusted = service(certsDir({ [reg.host]: { 'notes.txt': ca.key } }));
    await assert.rejects(
      untrusted.pull(`${reg.host}/team/app:v1`),
      (e: Error) => e instanceof UnavailableError && e.message.includes('certificate is not trusted') && e.message.includes(`${reg.host}/ca.crt`),
    );
  });

  it('pulls Docker Hub images through an https mirror whose CA is in certs.d', async () => {
    const svc = service(certsDir({ [reg.host]: { 'ca.crt': ca.cert } }), { 'docker.io': [`https://${reg.host}`] });
    const rec = await svc.pull('busybox');
    assert.equal(rec.ref, 'docker.io/library/busybox:latest');
    assert.equal(rec.digest, skopeoDigest(`${reg.host}/library/busybox:latest`, creds));
  });

  it('pushes to and pulls from a registry that requires a client certificate', async () => {
    const src = service(certsDir({ [reg.host]: { 'ca.crt': ca.cert }, [mtls.host]: { 'ca.crt': ca.cert } }));
    await src.pull(`${reg.host}/team/app:v1`);
    await src.tag(`${reg.host}/team/app:v1`, `${mtls.host}/team/app:v1`);
    // The CA alone: the registry refuses the handshake, and the error says where the certificate goes.
    await assert.rejects(
      src.push(`${mtls.host}/team/app:v1`),
      (e: Error) => e instanceof UnavailableError && e.message.includes(`refused the TLS handshake`) && e.message.includes(`${mtls.host}/client.cert`),
    );
    const certs = certsDir({ [reg.host]: { 'ca.crt': ca.cert }, [mtls.host]: { 'ca.crt': ca.cert, 'client.cert': client.cert, 'client.key': client.key } });
    src.registry.configure({ certsDir: certs });
    await src.push(`${mtls.host}/team/app:v1`);
    // skopeo reads the same layout (containers-certs.d): it confirms what the registry holds.
    const inspected = JSON.parse(execFileSync('skopeo', ['inspect', '--tls-verify=false', '--cert-dir', join(certs, mtls.host), `docker://${mtls.host}/team/app:v1`], { encoding: 'utf8' })) as { Digest: string };
    const pulled = await service(certs).pull(`${mtls.host}/team/app:v1`);
    assert.equal(pulled.digest, inspected.Digest);
    assert.equal(pulled.digest, (await src.resolve(`${mtls.host}/team/app:v1`))!.digest);
  });

  it('names the file for an invalid or unpaired certificate, and a pull stops there', async () => {
    const garbage = join(tmp, 'garbage.pem');
    writeFileSync(garbage, 'not a certificate\n');
    const host = '127.0.0.1:1';
    const check = async (files: Record<string, string>, pattern: RegExp) => {
      const dir = certsDir({ [host]: files });
      await assert.rejects(readHostTls(dir, host), (e: Error) => e instanceof InvalidArgumentError && pattern.test(e.message.replaceAll(dir, '<dir>')), pattern.source);
    };
    await check({ 'ca.crt': garbage }, /^<dir>\/127\.0\.0\.1:1\/ca\.crt holds no PEM certificate/);
    await check({ 'client.cert': client.cert }, /^missing key <dir>\/127\.0\.0\.1:1\/client\.key for the client certificate <dir>\/127\.0\.0\.1:1\/client\.cert \(CA certificates must end in \.crt\)$/);
    await check({ 'client.key': client.key }, /^missing client certificate <dir>\/127\.0\.0\.1:1\/client\.cert for the key/);
    await check({ 'client.cert': client.cert, 'client.key': ca.key }, /^<dir>\/127\.0\.0\.1:1\/client\.key is not the key of the client certificate <dir>\/127\.0\.0\.1:1\/client\.cert/);
    await check({ 'client.cert': client.cert, 'client.key': garbage }, /^<dir>\/127\.0\.0\.1:1\/client\.key is not a valid PEM private key/);
    await check({ 'a.cert': client.cert, 'a.key': client.key, 'b.cert': client.cert, 'b.key': client.key }, /holds 2 client certificates \(a\.cert, b\.cert\); keep one$/);
    const unreadable = certsDir({ [host]: {} });
    mkdirSync(join(unreadable, host, 'ca.crt'));
    await assert.rejects(readHostTls(unreadable, host), (e: Error) => e instanceof InvalidArgumentError && e.message.startsWith(`cannot read ${join(unreadable, host, 'ca.crt')}: EISDIR`));
    assert.equal(await readHostTls(unreadable, 'elsewhere:5000'), undefined);
    // Used by a pull: the error is the file's, before any connection.
    const svc = service(certsDir({ [reg.host]: { 'ca.crt': garbage } }));
    await assert.rejects(svc.pull(`${reg.host}/team/app:v1`), (e: Error) => e instanceof InvalidArgumentError && e.message.includes(`${reg.host}/ca.crt holds no PEM certificate`));
  });
});
