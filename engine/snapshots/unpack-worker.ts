// An unpack worker's body (unpack-pool.ts): unpacks the layers it is sent, one at a time, in a
// process of its own — decompression, the diff_id's hash, tar parsing and the garbage of ~100 MB of
// Buffers happen in its heap, and what they leave goes with the process. It ends with the daemon:
// when its channel to the daemon closes (the daemon stopped or was killed), it exits.
import { unpackLayer } from './unpack.ts';

export interface UnpackJob {
  blob: string;
  dir: string;
  diffId?: string;
}

export type UnpackReply = { diffId: string } | { error: { name: string; message: string } };

const reply = (r: UnpackReply): void => void process.send!(r);

const onJob = (job: UnpackJob): void => {
  unpackLayer(job.blob, job.dir, job.diffId).then(
    (diffId) => reply({ diffId }),
    // The class by name: a message keeps no class, and callers check errors by class.
    (err: Error) => reply({ error: { name: err.constructor?.name ?? 'Error', message: err.message } }),
  );
};

process.on('message', onJob);
process.once('disconnect', () => process.exit(1));
