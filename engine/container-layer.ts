// `commit`'s layer: a container's overlay upper directory written as an OCI layer tar (the
// builder's writer, engine/builder/diff.ts: overlay whiteouts become `.wh.` entries). Which
// directories are opaque is an xattr Node cannot read: native/berth-fsutil answers ("q PATH"),
// walking each path with O_NOFOLLOW. The mount points the runtime made (/proc, /dev, /etc/hosts…,
// volumes) are left out, as Docker's init layer keeps them out of a commit.
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeLayer } from './builder/diff.ts';
import { fsutilPath } from './snapshots/unpack.ts';
import { FailedPreconditionError } from '../specs/errdefs.ts';

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
