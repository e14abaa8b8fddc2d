// Layers unpacked in worker processes (unpack-worker.ts), at most one a core (two here), each from its
// stored blob. Measured on a pull of four layers (~100 MB): a major part of the daemon's CPU went to
// garbage collection of the main heap, set off by the Buffers that decompression and file reads
// allocate; in a worker, those collect in a heap of a few MiB. Processes, not threads: a worker
// thread's isolate and its malloc arena stayed in the daemon's RSS after the thread ended (a small
// pull, `lead14/cpu.mts --rsspull`: 65.3 -> 86.3 MiB during it, 70.0 MiB at rest 48 s later; with
// processes, 65.0 -> 65.6 and 65.8 MiB). A worker is made when a layer waits and none is free, kept
// while it has work, and let go after IDLE_MS without any.
import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { errorFromJSON, UnavailableError } from '../../specs/errdefs.ts';
import { HostileLayerError } from './unpack.ts';
import type { UnpackJob, UnpackReply } from './unpack-worker.ts';

/**
 * How long an idle worker is kept. Starting one costs ~65 ms of CPU built, more from source under
 * tsx (benches, tests); kept 30 s, the next pull of a burst (compose, a bench's rounds ~6 s apart)
 * finds them started: measured 0.9 s of CPU a 100 MB pull against 1.6 s at 5 s.
 */
const IDLE_MS = 30_000;

interface Waiting {
  job: UnpackJob;
  resolve(diffId: string): void;
  reject(err: Error): void;
}

/**
 * The worker's module: unpack-worker.js beside this file once built, .ts when run from source (tsx).
 * Node's options are the daemon's (its heap limits); its stderr is the daemon's.
 */
function startWorker(): ChildProcess {
  const url = new URL(`./unpack-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);
  const fromSource = url.pathname.endsWith('.ts');
  const worker = fork(fileURLToPath(url), [], {
    // From source (tests, benches): the worker loads tsx's hooks itself, whatever the daemon was started with.
    execArgv: fromSource && !process.execArgv.some((a) => a.includes('tsx')) ? [...process.execArgv, '--import', 'tsx'] : process.execArgv,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: workerEnv(),
  });
  // An idle worker's failure is not the process's: the next job on it sees its exit.
  worker.on('error', () => undefined);
  return worker;
}

/**
 * The daemon's environment without MALLOC_TRIM_THRESHOLD_ (bin/berth sets it for the daemon's RSS).
 * Set, it also fixes glibc's mmap threshold at 128 KiB, which otherwise rises with the blocks freed:
 * every larger Buffer that decompression and file writes allocate was then an mmap and its pages
 * faulted in anew, which this host's hypervisor makes dear. A 100 MB pull through a daemon started
 * as a user starts it took 1.8-2.1 s with it in the workers and 1.0-1.4 s without it
 * (/work/scratch/clipull.mts, six pulls each, interleaved). A worker's memory goes when it exits.
 */
function workerEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.MALLOC_TRIM_THRESHOLD_;
  return env;
}

/** An error from the worker as its class (errors are checked by class, never by message). */
function rebuild(e: { name: string; message: string }): Error {
  if (e.name === HostileLayerError.name) return new HostileLayerError(e.message);
  return errorFromJSON({ kind: e.name, message: e.message });
}

export class UnpackPool {
  readonly #size: number;
  readonly #idle: Array<{ worker: ChildProcess; timer: NodeJS.Timeout }> = [];
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

  #run(worker: ChildProcess, w: Waiting): void {
    this.#running++;
    worker.ref();
    worker.channel?.ref();
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
      worker.kill();
      this.#next();
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => onError(new Error(`it exited with ${signal ? `signal ${signal}` : `status ${code}`}`));
    worker.on('message', onMessage);
    worker.once('error', onError);
    worker.once('exit', onExit);
    worker.send(w.job);
  }

  /** An idle worker holds nothing open: the daemon may exit, and the worker ends after IDLE_MS. */
  #park(worker: ChildProcess): void {
    worker.unref();
    worker.channel?.unref();
    const entry = {
      worker,
      timer: setTimeout(() => {
        this.#idle.splice(this.#idle.indexOf(entry), 1);
        worker.kill();
      }, IDLE_MS).unref(),
    };
    this.#idle.push(entry);
  }
}
