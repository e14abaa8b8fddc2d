// An unpack worker's body (unpack-pool.ts): unpacks the layers it is sent, one at a time, in its
// own thread — decompression, the diff_id's hash, tar parsing and the garbage of ~100 MB of Buffers
// happen in this small heap instead of on the daemon's main thread and in its large one.
import { parentPort } from 'node:worker_threads';
import { unpackLayer } from './unpack.ts';

export interface UnpackJob {
  blob: string;
  dir: string;
  diffId?: string;
}

export type UnpackReply = { diffId: string } | { error: { name: string; message: string } };

parentPort!.on('message', (job: UnpackJob) => {
  unpackLayer(job.blob, job.dir, job.diffId).then(
    (diffId) => parentPort!.postMessage({ diffId } satisfies UnpackReply),
    // The class by name: a structured clone keeps no class, and callers check errors by class.
    (err: Error) => parentPort!.postMessage({ error: { name: err.constructor?.name ?? 'Error', message: err.message } } satisfies UnpackReply),
  );
});
