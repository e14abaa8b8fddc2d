// AttachmentStore's two writes of a join (begin, ready): the second extends the first in place, and
// whatever a crash leaves of either is read as a record its DEL can run from, or as none when nothing
// of the join had been done.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { AttachmentStore, type AttachmentRecord } from '../../../engine/network/attachments.ts';

const ID = 'a'.repeat(64);

function adding(root: string): AttachmentRecord {
  return {
    id: ID, name: 'web', aliases: ['www'], mode: 'network', network: 'berth', state: 'adding',
    ports: [{ containerPort: 80, hostPort: 8080, protocol: 'TCP' }], createdAt: new Date().toISOString(),
    netnsPath: join(root, 'netns', ID),
    confList: { cniVersion: '1.0.0', name: 'berth', plugins: [{ type: 'bridge', bridge: 'berth0', ipam: { type: 'host-local', ranges: [[{ subnet: '10.213.0.0/16' }]] } }, { type: 'portmap', capabilities: { portMappings: true } }] },
  };
}

describe('AttachmentStore begin and ready', () => {
  const root = mkdtempSync(join(tmpdir(), 'berth-attachments-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const file = join(root, 'containers', ID, 'attachment.json');

  it('makes the record ready in place, and a new store reads each state as written', () => {
    const store = new AttachmentStore(root);
    store.make(ID);
    const r = adding(root);
    store.begin(r);
    assert.deepEqual(new AttachmentStore(root).read(ID), r);
    const inode = statSync(file).ino;
    r.result = { cniVersion: '1.0.0', interfaces: [{ name: 'eth0', sandbox: r.netnsPath }], ips: [{ address: '10.213.0.2/16', gateway: '10.213.0.1', interface: 0 }] };
    Object.assign(r, { ipAddress: '10.213.0.2', gateway: '10.213.0.1', state: 'ready' });
    store.ready(r);
    assert.equal(statSync(file).ino, inode, 'the same file, not another renamed over it');
    assert.deepEqual(new AttachmentStore(root).read(ID), r);
    // Any other change is a whole record written atomically, as before.
    store.write({ ...r, state: 'removing' });
    assert.equal(new AttachmentStore(root).read(ID)?.state, 'removing');
    store.remove(ID);
    assert.equal(new AttachmentStore(root).read(ID), undefined);
  });

  it('reads every cut of the ready write as the begun record, and every cut of the begin write as it or none', () => {
    const store = new AttachmentStore(root);
    store.make(ID);
    const r = adding(root);
    store.begin(r);
    const before = readFileSync(file, 'utf8');
    const begun = new AttachmentStore(root).read(ID);
    r.result = { cniVersion: '1.0.0', ips: [{ address: '10.213.0.3/16' }] };
    Object.assign(r, { ipAddress: '10.213.0.3', state: 'ready' });
    store.ready(r);
    const next = readFileSync(file, 'utf8');
    assert.ok(next.length > before.length);
    // A write cut after k bytes: next's first k bytes over before, the rest of before after them.
    for (let k = 0; k <= next.length; k++) {
      writeFileSync(file, next.slice(0, k) + before.slice(k));
      const got = new AttachmentStore(root).read(ID);
      if (k === next.length) assert.deepEqual(got, r);
      else assert.deepEqual(got, begun, `ready cut at ${k} of ${next.length}`);
    }
    // begin's own write cut short: nothing, or (once its last member is whole) the begun record.
    let seen = false;
    for (let k = 0; k <= before.length; k++) {
      writeFileSync(file, before.slice(0, k));
      const got = new AttachmentStore(root).read(ID);
      if (got) seen = true;
      assert.deepEqual(got, seen ? begun : undefined, `begin cut at ${k} of ${before.length}`);
    }
    assert.ok(seen);
    store.remove(ID);
  });
});
