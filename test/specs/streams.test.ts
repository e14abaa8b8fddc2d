// Docker's stream formats as berth speaks them: the detach keys (moby's term.ToBytes and escape
// proxy) and the multiplexed stream's 8-byte frames (moby's stdcopy).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from '../../specs/errdefs.ts';
import { DetachKeyFilter, parseDetachKeys } from '../../specs/streams/detach-keys.ts';
import { frame, FrameDecoder, STDERR, STDOUT } from '../../specs/streams/stdcopy.ts';

describe('detach keys', () => {
  it('parses Docker\'s forms: ctrl-p,ctrl-q, single characters, ctrl-@ … ctrl-_', () => {
    assert.deepEqual([...parseDetachKeys('ctrl-p,ctrl-q')], [16, 17]);
    assert.deepEqual([...parseDetachKeys('a,ctrl-x,x')], [97, 24, 120]);
    assert.deepEqual([...parseDetachKeys('ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_')], [0, 27, 28, 29, 30, 31]);
  });

  it('refuses an unknown key, naming it', () => {
    assert.throws(() => parseDetachKeys('ctrl-p,meta-q'), (e) => e instanceof InvalidArgumentError && /unknown key "meta-q"/.test(e.message));
    assert.throws(() => parseDetachKeys('ctrl-p,'), InvalidArgumentError);
  });

  it('holds a partial sequence back, sends it on when the next key breaks it, detaches on the whole', () => {
    const f = new DetachKeyFilter(parseDetachKeys('ctrl-p,ctrl-q'));
    assert.deepEqual(f.push(Buffer.from('ab\x10')), { data: Buffer.from('ab'), detached: false });
    assert.deepEqual(f.push(Buffer.from('c')), { data: Buffer.from('\x10c'), detached: false });
    assert.deepEqual(f.push(Buffer.from('\x10\x10')), { data: Buffer.from('\x10'), detached: false });
    assert.deepEqual(f.push(Buffer.from('\x11tail')), { data: Buffer.alloc(0), detached: true });
  });

  it('with no keys, passes everything', () => {
    assert.deepEqual(new DetachKeyFilter(Buffer.alloc(0)).push(Buffer.from('\x10\x11')), { data: Buffer.from('\x10\x11'), detached: false });
  });
});

describe('multiplexed stream frames', () => {
  it('writes Docker\'s header: stream, three zero bytes, big-endian length', () => {
    assert.deepEqual([...frame(STDERR, Buffer.from('hey'))], [2, 0, 0, 0, 0, 0, 0, 3, 104, 101, 121]);
  });

  it('decodes frames split anywhere, keeping a partial one for later', () => {
    const wire = Buffer.concat([frame(STDOUT, Buffer.from('hello\n')), frame(STDERR, Buffer.from('oops\n')), frame(STDOUT, Buffer.alloc(0))]);
    const d = new FrameDecoder();
    const got = [...wire].flatMap((b) => d.push(Buffer.from([b])));
    assert.deepEqual(got.map((f) => [f.type, f.payload.toString()]), [[1, 'hello\n'], [2, 'oops\n'], [1, '']]);
    assert.equal(d.pending, 0);
    assert.deepEqual(d.push(wire.subarray(0, 5)), []);
    assert.equal(d.pending, 5);
  });
});
