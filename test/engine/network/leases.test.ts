// Leases (leases.ts) on a real directory: host-local's files, addresses handed out side by side.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Leases } from '../../../engine/network/leases.ts';

const range = { subnet: '10.99.0.0/24', gateway: '10.99.0.1' };
const tmp = mkdtempSync(join(tmpdir(), 'berth-leases-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('Leases', () => {
  it('gives 64 reserves made at once 64 different addresses, each file naming its owner', async () => {
    const dir = join(tmp, 'at-once');
    const leases = new Leases(dir);
    const ips = await Promise.all(Array.from({ length: 64 }, (_, i) => leases.reserve(`c${i}`, 'eth0', range)));
    assert.equal(new Set(ips).size, 64);
    assert.ok(!ips.includes(range.gateway));
    for (const [i, ip] of ips.entries()) assert.equal(readFileSync(join(dir, ip), 'utf8'), `c${i}\r\neth0`);
    // A reserve again by the same owner gets the same address.
    assert.equal(await leases.reserve('c5', 'eth0', range), ips[5]);
  });

  it('skips an address leased by another process since the leases were read, and goes on round robin', async () => {
    const dir = join(tmp, 'other');
    const leases = new Leases(dir);
    assert.equal(await leases.reserve('a', 'eth0', range), '10.99.0.2');
    writeFileSync(join(dir, '10.99.0.3'), 'someone-else\r\neth0');
    assert.equal(await leases.reserve('b', 'eth0', range), '10.99.0.4');
    await leases.release('a', 'eth0', '10.99.0.2');
    // Released, but not handed out again at once.
    assert.equal(await leases.reserve('c', 'eth0', range), '10.99.0.5');
  });

  it('makes its directory again when it went with its network', async () => {
    const dir = join(tmp, 'removed');
    const leases = new Leases(dir);
    await leases.reserve('a', 'eth0', range);
    await leases.release('a', 'eth0');
    rmSync(dir, { recursive: true });
    const ip = await leases.reserve('b', 'eth0', range);
    assert.deepEqual(readdirSync(dir).filter((n) => n === ip), [ip]);
  });

  it('finds an address released by another process though the leases still hold it', async () => {
    const dir = join(tmp, 'full');
    const small = { subnet: '10.98.0.0/30', gateway: '10.98.0.1' };
    const leases = new Leases(dir);
    assert.equal(await leases.reserve('a', 'eth0', small), '10.98.0.2');
    rmSync(join(dir, '10.98.0.2'));
    assert.equal(await leases.reserve('b', 'eth0', small), '10.98.0.2');
    await assert.rejects(leases.reserve('c', 'eth0', small), /no free address left/);
  });
});
