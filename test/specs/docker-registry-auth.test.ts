// Docker's X-Registry-Auth header decoded as dockerd reads it: base64url JSON, for one request.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from '../../specs/errdefs.ts';
import { registryAuth } from '../../specs/docker/registry-auth.ts';

const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe("Docker's X-Registry-Auth", () => {
  it('username and password, in base64url or standard base64, with or without padding', () => {
    const creds = { username: 'ann', password: 'pa?ss>>word~~', serveraddress: '127.0.0.1:5000' };
    assert.deepEqual(registryAuth(b64url(creds)), { username: 'ann', password: 'pa?ss>>word~~' });
    assert.deepEqual(registryAuth(Buffer.from(JSON.stringify(creds)).toString('base64')), { username: 'ann', password: 'pa?ss>>word~~' });
  });

  it("a config.json entry's auth, and an identity token", () => {
    assert.deepEqual(registryAuth(b64url({ auth: Buffer.from('bob:se:cret').toString('base64') })), { username: 'bob', password: 'se:cret' });
    assert.deepEqual(registryAuth(b64url({ identitytoken: 'refresh-1' })), { username: '', password: '', identityToken: 'refresh-1' });
  });

  it("no header, or one naming no credentials, is the daemon's own", () => {
    for (const h of [undefined, '', 'e30=', b64url({ serveraddress: 'x' }), b64url({ username: null })]) assert.equal(registryAuth(h), undefined, String(h));
  });

  it('refuses what is not base64url JSON of an object, saying what to send', () => {
    for (const h of ['not json', b64url([1]), b64url({ username: 3 }), b64url({ auth: 'bm9jb2xvbg' }), b64url({ registrytoken: 't' })]) {
      assert.throws(() => registryAuth(h), (e: unknown) => e instanceof InvalidArgumentError && /X-Registry-Auth/.test(e.message), h);
    }
  });
});
