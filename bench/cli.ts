// CLI start-up: `berth --version` (bin/berth, as a user runs it: its native front answers it from
// package.json, native/cli-front.c) against a bare `node -e 0`.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { interleave, median, report } from './lib.ts';

export default async function bench(args: string[]): Promise<void> {
  const rounds = Number(args[0] ?? 30);
  const repo = fileURLToPath(new URL('..', import.meta.url));
  const berth = join(repo, 'bin', 'berth');
  const samples = await interleave(
    rounds,
    {
      berth: () => execFileSync(berth, ['--version'], { stdio: 'ignore' }),
      node: () => execFileSync(process.execPath, ['-e', '0'], { stdio: 'ignore' }),
    },
    { warmup: 3 },
  );
  report('cli', median(samples.berth!), 'node', median(samples.node!), 'ms');
}
