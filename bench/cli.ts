// CLI start-up: `berth --version` (compiled dist/, lazy modules) against a bare `node -e 0`.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { interleave, median, report } from './lib.ts';

export default async function bench(args: string[]): Promise<void> {
  const rounds = Number(args[0] ?? 30);
  const repo = fileURLToPath(new URL('..', import.meta.url));
  const berth = join(repo, 'bin', 'berth');
  if (!existsSync(join(repo, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  const samples = await interleave(
    rounds,
    {
      berth: () => execFileSync(process.execPath, [berth, '--version'], { stdio: 'ignore' }),
      node: () => execFileSync(process.execPath, ['-e', '0'], { stdio: 'ignore' }),
    },
    { warmup: 3 },
  );
  report('cli', median(samples.berth!), 'node', median(samples.node!), 'ms');
}
