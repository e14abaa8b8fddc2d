#!/usr/bin/env node
// Exits 0 when node_modules holds exactly what package-lock.json names, 1 when it is missing or
// stale (then `npm ci` is due). npm records what it installed in node_modules/.package-lock.json:
// every package there must be in the lockfile at the same version and integrity, and every package
// of the lockfile must be there, except optional ones for other platforms (esbuild's, fsevents).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const read = (p) => {
  try {
    return JSON.parse(readFileSync(join(repo, p), 'utf8')).packages ?? {};
  } catch {
    return undefined;
  }
};
const wanted = read('package-lock.json');
const installed = read('node_modules/.package-lock.json');
const why = [];
if (!wanted) why.push('package-lock.json is missing or unreadable');
else if (!installed) why.push('node_modules is missing (no node_modules/.package-lock.json)');
else {
  for (const [path, p] of Object.entries(installed)) {
    const w = wanted[path];
    if (!w) why.push(`${path} is installed but not in package-lock.json`);
    else if (w.version !== p.version || (w.integrity && p.integrity && w.integrity !== p.integrity)) why.push(`${path} is ${p.version}, package-lock.json wants ${w.version}`);
  }
  for (const [path, w] of Object.entries(wanted)) {
    if (path && !w.optional && !w.link && !installed[path]) why.push(`${path} ${w.version} is not installed`);
  }
}
if (why.length) {
  process.stdout.write(`${why.slice(0, 3).join('; ')}${why.length > 3 ? ` (and ${why.length - 3} more)` : ''}\n`);
  process.exit(1);
}
