// Replacing a small file whole: written aside under a unique name, then renamed over the old one, so
// a reader (or a crash) never sees it half-written. `durable` also fsyncs before the rename, for
// files whose loss after a power cut would matter (the content store's index).
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';

export async function writeFileAtomic(path: string, data: string | Buffer, o: { durable?: boolean; mode?: number } = {}): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const fh = await open(tmp, 'w', o.mode ?? 0o644);
  try {
    await fh.writeFile(data);
    if (o.durable) await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  await rename(tmp, path);
}
