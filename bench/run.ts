// `npm run bench -- <name> [args...]`: runs bench/<name>.ts, whose default export does the work.
// Each bench runs berth and its peer side by side and ends with the line
// `bench <name>: berth <median> <unit>, <peer> <median> <unit>, ratio <berth/peer>`.
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { benchNames } from './lib.ts';

const here = dirname(fileURLToPath(import.meta.url));
const available = benchNames(here);

const [name, ...rest] = process.argv.slice(2);
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- <name> [args]\navailable: ${available.join(', ') || '(none)'}`);
  process.exit(name ? 1 : 0);
}
const mod = (await import(pathToFileURL(join(here, `${name}.ts`)).href)) as { default: (args: string[]) => Promise<void> };
await mod.default(rest);
