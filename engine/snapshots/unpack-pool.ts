// Layers unpacked in worker threads (unpack-worker.ts), at most one a core (two here), each from its
// stored blob. Measured on a pull of four layers (~100 MB): a major part of the daemon's CPU went to
// garbage collection of the main heap, set off by the Buffers that decompression and file reads
// allocate; in a worker, those collect in a heap of a few MiB. A worker is made when a layer waits
// and none is free, kept while it has work, and let go after IDLE_MS without any.
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { errorFromJSON, UnavailableError } from '../../specs/errdefs.ts';
import { HostileLayerError } from './unpack.ts';
import type { UnpackJob, UnpackReply } from './unpack-worker.ts';

/**
 * How long an idle worker is kept (~13 MiB each). Starting one costs ~65 ms of CPU built, ~370 ms
 * from source under tsx (benches, tests); kept 30 s, the next pull of a burst (compose, a bench's
 * rounds ~6 s apart) finds them started: measured 0.9 s of CPU a 100 MB pull against 1.6 s at 5 s.
 */
const IDLE_MS = 30_000;

interface Waiting {
  job: UnpackJob;
  resolve(diffId: string): void;
  reject(err: Error): void;
}

/** The worker's module: unpack-worker.js beside this file once built, .ts when run from source (tsx). */
function startWorker(): Worker {
  const url = new URL(`./unpack-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);
  const worker = url.pathname.endsWith('.ts')
    ? // From source (tests, benches): a worker does not inherit tsx's loader hooks; it registers them first.
      new Worker(`import('tsx/esm/api').then((m) => m.register()).then(() => import(${JSON.stringify(url.href)}))`, { eval: true })
    : new Worker(fileURLToPath(url));
  // An idle worker's failure is not the process's: the next job on it sees its exit.
  worker.on('error', () => undefined);
  return worker;
}

/** An error from the worker as its class (errors are checked by class, never by message). */
function rebuild(e: { name: string; message: string }): Error {
  if (e.name === HostileLayerError.name) return new HostileLayerError(e.message);
  return errorFromJSON({ kind: e.name, message: e.message });
}

export class UnpackPool {
  readonly #size: number;
  readonly #idle: Array<{ worker: Worker; timer: NodeJS.Timeout }> = [];
  #running = 0;
  readonly #queue: Waiting[] = [];

  constructor(size = Math.min(2, availableParallelism())) {
    this.#size = Math.max(1, size);
  }

  /** Unpacks `blob` into `dir` (see unpackLayer); resolves to its diff_id. */
  unpack(job: UnpackJob): Promise<string> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ job, resolve, reject });
      this.#next();
    });
  }

  #next(): void {
    while (this.#queue.length && (this.#idle.length || this.#running < this.#size)) {
      const idle = this.#idle.pop();
      if (idle) clearTimeout(idle.timer);
      this.#run(idle?.worker ?? startWorker(), this.#queue.shift()!);
    }
  }

  #run(worker: Worker, w: Waiting): void {
    this.#running++;
    worker.ref();
    const settle = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      this.#running--;
    };
    const onMessage = (reply: UnpackReply) => {
      settle();
      if ('error' in reply) w.reject(rebuild(reply.error));
      else w.resolve(reply.diffId);
      this.#park(worker);
      this.#next();
    };
    // The worker died (out of memory, a bug): its layer fails, the worker is not used again.
    const onError = (err: Error) => {
      settle();
      w.reject(new UnavailableError(`unpack layer ${w.job.blob}: the unpack worker failed: ${err.message}`, { cause: err }));
      void worker.terminate();
      this.#next();
    };
    const onExit = (code: number) => onError(new Error(`it exited with status ${code}`));
    worker.on('message', onMessage);
    worker.once('error', onError);
    worker.once('exit', onExit);
    worker.postMessage(w.job);
  }

  /** An idle worker holds nothing open: the process may exit, and it ends after IDLE_MS. */
  #park(worker: Worker): void {
    worker.unref();
    const entry = {
      worker,
      timer: setTimeout(() => {
        this.#idle.splice(this.#idle.indexOf(entry), 1);
        void worker.terminate();
      }, IDLE_MS).unref(),
    };
    this.#idle.push(entry);
  }
}
