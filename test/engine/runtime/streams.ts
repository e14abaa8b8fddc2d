// The streams part of the Runtime conformance suite: a container on a terminal (the pty made in the
// container, its master held by berth-monitor), a container whose stdin is a pipe, and exec
// sessions with and without a terminal — each checked against every runtime.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Runtime } from '../../../engine/runtime/runtime.ts';
import type { StdioSession } from '../../../engine/runtime/stdio.ts';
import { harness } from './conformance.ts';

/** Collects a session's output; `until(text)` resolves once it has appeared. */
function reader(s: StdioSession) {
  let text = '';
  const waiters: Array<() => void> = [];
  const done = (async () => {
    for await (const c of s.output()) {
      text += c.data.toString();
      for (const w of waiters.splice(0)) w();
    }
  })();
  return {
    get text() {
      return text;
    },
    done,
    async until(want: string | RegExp): Promise<string> {
      const limit = Date.now() + 20_000;
      while (!(typeof want === 'string' ? text.includes(want) : want.test(text))) {
        if (Date.now() > limit) throw new Error(`never saw ${want} in ${JSON.stringify(text)}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 200);
        });
      }
      return text;
    },
  };
}

export function streamConformance(name: string, factory: (stateDir: string) => Runtime): void {
  describe(`Runtime streams: ${name}`, () => {
    const h = harness(factory);
    before(() => h.setup());
    after(() => h.teardown());

    it('runs a shell on a terminal made in the container: replayed prompt, typed commands, resize, exit code, log', async () => {
      const id = await h.start({ args: ['sh'], terminal: true, stdin: true, env: ['PATH=/bin', 'PS1=box$ '] });
      const s = await h.rt.attach(id, { replay: true });
      assert.equal(s.tty, true);
      const out = reader(s);
      await out.until('box$ ');
      s.resize({ rows: 33, cols: 101 });
      s.write(Buffer.from('tty; stty size; echo $((6*7))\n'));
      const text = await out.until(/42\r\n/);
      assert.match(text, /\/dev\/pts\/0\r\n33 101\r\n42\r\n/);
      s.write(Buffer.from('exit 3\n'));
      await out.done;
      assert.equal((await h.rt.wait(id)).exitCode, 3);
      // What the terminal showed is the container's log too (one stream: stdout).
      const logged = (await h.logs(id)).map((e) => e.log).join('');
      assert.match(logged, /tty; stty size; echo \$\(\(6\*7\)\)\r\n\/dev\/pts\/0\r\n33 101\r\n42\r\n/);
    });

    it('keeps stdin open as a pipe: what is written reaches the process, closing it ends cat', async () => {
      const id = await h.start({ args: ['sh', '-c', 'echo ready; cat; echo bye >&2'], stdin: true });
      const s = await h.rt.attach(id, { replay: true });
      assert.equal(s.tty, false);
      const chunks: Array<[string, string]> = [];
      const done = (async () => {
        for await (const c of s.output()) chunks.push([c.stream, c.data.toString()]);
      })();
      s.write(Buffer.from('hi\n'));
      s.closeStdin();
      await done;
      assert.deepEqual(chunks, [['stdout', 'ready\n'], ['stdout', 'hi\n'], ['stderr', 'bye\n']]);
      assert.equal((await h.rt.wait(id)).exitCode, 0);
    });

    it('attaches again after a client leaves, without replay: only what comes after', async () => {
      const id = await h.start({ args: ['sh'], terminal: true, stdin: true, env: ['PATH=/bin', 'PS1=$ '] });
      const first = await h.rt.attach(id, { replay: true });
      const a = reader(first);
      first.write(Buffer.from('echo $((100+1))\n'));
      await a.until('\r\n101\r\n');
      first.close();
      const second = await h.rt.attach(id);
      const b = reader(second);
      second.write(Buffer.from('echo $((100+2))\n'));
      await b.until('\r\n102\r\n');
      assert.doesNotMatch(b.text, /101/);
      second.write(Buffer.from('exit\n'));
      await b.done;
      assert.equal((await h.rt.wait(id)).exitCode, 0);
    });

    it('execs a shell on a terminal of its own, and a command with piped stdin', async () => {
      const id = await h.start({ args: ['sleep', '600'] });
      const s = await h.rt.execSession(id, { args: ['sh'], env: ['PS1=ex$ '], tty: true });
      const out = reader(s);
      await out.until('ex$ ');
      s.resize({ rows: 12, cols: 34 });
      s.write(Buffer.from('stty size; tty\n'));
      await out.until(/12 34\r\n\/dev\/pts\/\d+\r\n/);
      s.write(Buffer.from('exit 3\n'));
      assert.equal(await s.exitCode, 3);
      await out.done;

      const p = await h.rt.execSession(id, { args: ['sh', '-c', 'cat; exit 5'], tty: false });
      const got = reader(p);
      p.write(Buffer.from('piped\n'));
      p.closeStdin();
      assert.equal(await p.exitCode, 5);
      await got.done;
      assert.equal(got.text, 'piped\n');
    });
  });
}
