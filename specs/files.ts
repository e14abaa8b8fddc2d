// Reading manifest inputs: a file, a directory (recursive *.yaml / *.yml, dot-files and
// dot-directories skipped, sorted for a stable order) or "-" for stdin.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { InvalidArgumentError, NotFoundError } from './errdefs.ts';
import type { ManifestInput } from './load.ts';

export const MANIFEST_FILE = /\.ya?ml$/i;

/** Manifest files under a directory, recursively, sorted; dot-entries skipped (editor swap files, .git). */
export async function manifestFilesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    const entries = await readdir(d, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if ((e.isFile() || e.isSymbolicLink()) && MANIFEST_FILE.test(e.name)) out.push(p);
    }
  };
  await walk(dir);
  return out;
}

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads `-f PATH` arguments (each a file, a directory or "-") into loader inputs with absolute paths. */
export async function readManifestInputs(paths: string[], cwd = process.cwd()): Promise<ManifestInput[]> {
  const inputs: ManifestInput[] = [];
  for (const p of paths) {
    if (p === '-') {
      inputs.push({ file: '<stdin>', text: await readStdin(), baseDir: cwd });
      continue;
    }
    const abs = resolve(cwd, p);
    const st = await stat(abs).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') throw new NotFoundError(`${p}: no such file or directory`);
      throw new InvalidArgumentError(`${p}: ${e.message}`);
    });
    const files = st.isDirectory() ? await manifestFilesUnder(abs) : [abs];
    if (st.isDirectory() && files.length === 0) throw new InvalidArgumentError(`${p}: no *.yaml or *.yml files in this directory`);
    for (const f of files) inputs.push({ file: f, text: await readFile(f, 'utf8') });
  }
  return inputs;
}
