import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { spawnWorker, type SpawnedWorker } from '../test/helpers/processes.js';

/** How a worker was stopped: killed outright, or asked to stop and hand its rows back. */
export type StopSignal = 'SIGKILL' | 'SIGTERM';

export type FleetFigures = {
  readonly sigkills: number;
  readonly sigterms: number;
  /** The longest time a SIGTERM'd worker took to exit (ms). */
  readonly slowestGracefulExitMs: number;
  /** Workers still running a minute after a SIGTERM, or that exited with an error status. */
  readonly problems: readonly string[];
};

export type Fleet = {
  /**
   * Stops the oldest worker with `signal` and starts its replacement at once (a SIGTERM's exit is
   * watched in the background). Only a worker that is up (it logged `worker_started`) is stopped:
   * on a loaded machine a worker takes seconds to load, and stopping it then tests nothing.
   * Resolves to whether a worker was stopped.
   */
  replaceOldest(signal: StopSignal): Promise<boolean>;
  /** Replaces workers that exited on their own (each a problem: a worker only ends when told to). */
  reap(): void;
  /** Asks every worker to stop (SIGTERM) and waits for them (bounded). */
  stopAll(): Promise<void>;
  /** SIGKILLs every worker process still running (cleanup after a failed run). */
  killAll(): Promise<void>;
  figures(): FleetFigures;
};

export type FleetOptions = {
  readonly env: Readonly<Record<string, string>>;
  readonly size: number;
  /** The worker's TTS_SHUTDOWN_GRACE_MS: a SIGTERM'd worker must exit within it plus 5 s. */
  readonly graceMs: number;
  /**
   * A worker is stopped only once it has worked this long since it said it started: on a slow
   * machine, where a process takes seconds to load, every worker still takes and pays for rows
   * before it is stopped (else the run stops only workers that are still loading, and stalls).
   */
  readonly minUpMs: number;
  /** Each worker's stdout and stderr go to `<logDir>/worker-<n>.log` (for a diagnostic run). */
  readonly logDir?: string | undefined;
  readonly log: (line: string) => void;
};

/** The worker's promise: within the grace period plus 5 s whatever Redis does; a second of slack for the process. */
const EXIT_BOUND_AFTER_GRACE_MS = 6_000;
/** A worker still running this long after its SIGTERM is killed (and reported). */
const GIVE_UP_MS = 60_000;
/** After this many workers exited on their own, they are no longer replaced (the code does not start). */
const MAX_UNEXPECTED_EXITS = 5;
/** With a log directory, workers write a Node diagnostic report there on this signal. */
const REPORT_SIGNAL = 'SIGUSR2';

const hasExited = (worker: SpawnedWorker) =>
  worker.child.exitCode !== null || worker.child.signalCode !== null;

/** When the worker logged that it started (its log level must be info or lower); undefined until then. */
function watchStarted(worker: SpawnedWorker): () => number | undefined {
  let upAt: number | undefined;
  let tail = '';
  const onData = (chunk: Buffer) => {
    const text = tail + chunk.toString('utf8');
    if (text.includes('"event":"worker_started"')) upAt = Date.now();
    tail = text.slice(-64);
    if (upAt !== undefined) worker.child.stdout?.off('data', onData);
  };
  worker.child.stdout?.on('data', onData);
  return () => upAt;
}

async function exitWithin(exited: Promise<void>, ms: number): Promise<'exited' | 'late'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ms)));
  const result = await Promise.race([exited.then(() => 'exited' as const), late]);
  clearTimeout(timer);
  return result;
}

/** `size` worker processes (`npm run worker`), replaced one at a time as the chaos run stops them. */
export function startFleet(options: FleetOptions): Fleet {
  const workers: { worker: SpawnedWorker; n: number; upAt: () => number | undefined }[] = [];
  const everyWorker: SpawnedWorker[] = [];
  const stopping: Promise<void>[] = [];
  const logs: WriteStream[] = [];
  const problems: string[] = [];
  let started = 0;
  let sigkills = 0;
  let sigterms = 0;
  let slowestGracefulExitMs = 0;
  let unexpectedExits = 0;

  function spawnOne(): void {
    started += 1;
    const worker = spawnWorker(
      options.logDir === undefined
        ? options.env
        : {
            ...options.env,
            NODE_OPTIONS: `--report-on-signal --report-signal=${REPORT_SIGNAL} --report-directory=${options.logDir}`,
          },
    );
    everyWorker.push(worker);
    if (options.logDir !== undefined) {
      const file = createWriteStream(join(options.logDir, `worker-${started}.log`));
      logs.push(file);
      worker.child.stdout?.pipe(file, { end: false });
      worker.child.stderr?.pipe(file, { end: false });
    }
    workers.push({ worker, n: started, upAt: watchStarted(worker) });
  }

  /** SIGTERM, then watch the exit: it must come within the bound, with status 0. */
  async function terminate(worker: SpawnedWorker, n: number): Promise<void> {
    const sentAt = Date.now();
    const exited = new Promise<void>((resolve) => {
      if (hasExited(worker)) resolve();
      else worker.child.once('exit', () => resolve());
    });
    worker.child.kill('SIGTERM');
    const boundMs = options.graceMs + EXIT_BOUND_AFTER_GRACE_MS;
    if ((await exitWithin(exited, boundMs)) === 'late') {
      // A diagnostic run asks the late worker for a Node report (its stack and open handles).
      if (options.logDir !== undefined) worker.child.kill(REPORT_SIGNAL);
      if ((await exitWithin(exited, GIVE_UP_MS - boundMs)) === 'late') {
        problems.push(
          `worker ${n} still running ${GIVE_UP_MS} ms after SIGTERM (promised: ${boundMs} ms): killed`,
        );
        await worker.kill('SIGKILL');
        return;
      }
    }
    const tookMs = Date.now() - sentAt;
    slowestGracefulExitMs = Math.max(slowestGracefulExitMs, tookMs);
    // Slower than promised is a figure (the slowest exit is in the report), not a loss: how long a
    // process takes depends on the machine's load. Never exiting (above) is a loss.
    if (tookMs > boundMs)
      options.log(`worker ${n} exited ${tookMs} ms after SIGTERM (promised: ${boundMs} ms)`);
    const { exitCode, signalCode } = worker.child;
    // Killed by the SIGTERM itself: it came before the process installed its handlers (still
    // loading), so it had taken no row. Killed by the report signal: it was late (reported above)
    // and exiting when the signal came.
    if (exitCode !== 0 && signalCode !== 'SIGTERM' && signalCode !== REPORT_SIGNAL)
      problems.push(`worker ${n} ended with ${signalCode ?? `status ${String(exitCode)}`} after SIGTERM`);
  }

  for (let i = 0; i < options.size; i += 1) spawnOne();
  return {
    async replaceOldest(signal) {
      const upAt = workers[0]?.upAt();
      if (upAt === undefined || Date.now() - upAt < options.minUpMs) return false;
      const oldest = workers.shift();
      if (oldest) {
        if (signal === 'SIGKILL') {
          sigkills += 1;
          await oldest.worker.kill('SIGKILL');
        } else {
          sigterms += 1;
          stopping.push(terminate(oldest.worker, oldest.n));
        }
        options.log(`${signal} worker ${oldest.n} (pid ${oldest.worker.child.pid ?? '?'})`);
      }
      spawnOne();
      return true;
    },
    reap() {
      for (const dead of workers.filter(({ worker }) => hasExited(worker))) {
        workers.splice(workers.indexOf(dead), 1);
        unexpectedExits += 1;
        const { exitCode, signalCode } = dead.worker.child;
        const last = dead.worker.output().trim().split('\n').at(-1)?.slice(0, 300) ?? '';
        problems.push(
          `worker ${dead.n} exited on its own (${signalCode ?? `status ${String(exitCode)}`}): ${last}`,
        );
        options.log(`worker ${dead.n} exited on its own`);
        if (unexpectedExits <= MAX_UNEXPECTED_EXITS) spawnOne();
      }
    },
    async stopAll() {
      const last = workers.splice(0).map(({ worker, n }) => terminate(worker, n));
      await Promise.all([...stopping, ...last]);
      for (const file of logs) file.end();
    },
    async killAll() {
      await Promise.all(everyWorker.map((worker) => worker.kill('SIGKILL')));
      for (const file of logs) file.end();
    },
    figures: () => ({ sigkills, sigterms, slowestGracefulExitMs, problems }),
  };
}
