// `commit`'s layer: a container's overlay upper directory written as an OCI layer tar (the
// builder's writer, engine/builder/diff.ts: overlay whiteouts become `.wh.` entries). Which
// directories are opaque is an xattr Node cannot read: native/berth-fsutil answers ("q PATH"),
// walking each path with O_NOFOLLOW. The mount points the runtime made (/proc, /dev, /etc/hosts…,
// volumes) are left out, as Docker's init layer keeps them out of a commit. The same upper directory
// against the image's layers is `diff`'s list of changes.
import { execFile } from 'node:child_process';
import type { Stats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isWhiteout, writeLayer } from './builder/diff.ts';
import { fsutilPath } from './snapshots/unpack.ts';
import { FailedPreconditionError } from '../specs/errdefs.ts';
import type { FileChange } from '../specs/api/containers.ts';

/** Every directory under root (relative paths), links never followed. */
async function directories(root: string, rel = '', out: string[] = []): Promise<string[]> {
  for (const e of await readdir(join(root, rel), { withFileTypes: true })) {
    if (!e.isDirectory()) continue;
    const r = rel ? `${rel}/${e.name}` : e.name;
    out.push(r);
    await directories(root, r, out);
  }
  return out;
}

async function opaqueDirectories(upper: string, dirs: string[]): Promise<Set<string>> {
  if (dirs.length === 0) return new Set();
  const answers = await new Promise<string[]>((resolve, reject) => {
    const child = execFile(fsutilPath(), [upper], { maxBuffer: 1 << 26 }, (err, stdout, stderr) =>
      err ? reject(new FailedPreconditionError(`reading the opaque directories of ${upper}: ${stderr.trim() || err.message}`)) : resolve(stdout.split('\n')),
    );
    child.stdin!.end(dirs.map((d) => `q ${d}\n`).join(''));
  });
  return new Set(dirs.filter((_, i) => answers[i] === 'y'));
}

/** Writes the layer of `upper` to `out`; its digest is the diff id (uncompressed). */
export async function writeUpperLayer(upper: string, out: string, mountPoints: string[]): Promise<{ digest: string; size: number }> {
  const opaque = await opaqueDirectories(upper, await directories(upper));
  const exclude = new Set(mountPoints.map((m) => m.replace(/^\/+|\/+$/g, '')).filter(Boolean));
  const { digest, size } = await writeLayer(upper, out, { isOpaque: async (rel) => opaque.has(rel), exclude });
  return { digest, size };
}

/** What a path is in the image's layers (top first): a whiteout or absence above hides what is below. */
async function inLowers(lowers: string[], rel: string): Promise<Stats | undefined> {
  for (const layer of lowers) {
    const st = await lstat(join(layer, rel)).catch(() => undefined);
    if (st) return isWhiteout(st) ? undefined : st;
  }
  return undefined;
}

/**
 * `diff` (Docker's GET /containers/{id}/changes): the upper directory against the image's layers
 * (`lowers`, bottom first), as dockerd's overlay driver reports it — a whiteout is a deletion, a
 * path the image had is a modification, any other an addition, and every changed path's parent
 * directories count as modified. A directory the image had is not a change by itself (the runtime's
 * mount points under it touch its times) unless its mode or owner changed or it became opaque; the
 * mount points the runtime made are left out, as Docker's init layer keeps them out.
 */
export async function upperChanges(upper: string, lowers: string[], mountPoints: string[]): Promise<FileChange[]> {
  const dirs = await directories(upper);
  const opaque = await opaqueDirectories(upper, dirs);
  const exclude = new Set(mountPoints.map((m) => m.replace(/^\/+|\/+$/g, '')).filter(Boolean));
  const top = [...lowers].reverse();
  const out = new Map<string, FileChange['kind']>();
  const changed = (rel: string, kind: FileChange['kind']) => {
    out.set(rel, kind);
    for (let p = dirname(rel); p !== '.' && !out.has(p); p = dirname(p)) out.set(p, 'modified');
  };
  const visit = async (rel: string): Promise<void> => {
    for (const name of await readdir(join(upper, rel))) {
      const r = rel ? `${rel}/${name}` : name;
      if (exclude.has(r)) continue;
      const st = await lstat(join(upper, r));
      if (isWhiteout(st)) {
        changed(r, 'deleted');
        continue;
      }
      const before = await inLowers(top, r);
      if (!before) changed(r, 'added');
      else if (!(st.isDirectory() && before.isDirectory()) || opaque.has(r) || st.mode !== before.mode || st.uid !== before.uid || st.gid !== before.gid) changed(r, 'modified');
      if (st.isDirectory()) await visit(r);
    }
  };
  await visit('');
  return [...out].map(([rel, kind]) => ({ path: `/${rel}`, kind })).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
