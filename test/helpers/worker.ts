import { Writable } from 'node:stream';
import type { Worker } from 'bullmq';
import { makeLogger, type Logger } from '../../src/log.js';
import { loadSettings, type Settings } from '../../src/settings.js';
import { makeRowWorker, type RowWorker } from '../../src/worker/make-worker.js';

/** Resolves once `count` jobs have completed or failed on `worker`. */
export function settled(worker: Worker, count: number): Promise<{ completed: number; failed: number }> {
  return new Promise((resolve) => {
    const tally = { completed: 0, failed: 0 };
    const check = () => {
      if (tally.completed + tally.failed >= count) resolve(tally);
    };
    worker.on('completed', () => {
      tally.completed += 1;
      check();
    });
    worker.on('failed', (_job, error) => {
      if (error.name === 'DelayedError') return;
      tally.failed += 1;
      check();
    });
  });
}

/** A logger writing JSON lines into `lines`, for asserting what was (not) logged. */
export function captureLogger(lines: string[], level = 'debug', secrets: readonly string[] = []): Logger {
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      callback();
    },
  });
  return makeLogger({ level, destination, secrets, pretty: false });
}

export type TestWorkerOptions = {
  readonly env: Readonly<Record<string, string>>;
  readonly logLines?: string[];
  readonly concurrency?: number;
  /** BullMQ's lock duration (default 5 s). */
  readonly lockDurationMs?: number;
};

/** An in-process row worker on settings built from `env` (as the CLI would). */
export function startTestWorker(options: TestWorkerOptions): { rowWorker: RowWorker; settings: Settings } {
  const settings = loadSettings(options.env);
  const logger = captureLogger(options.logLines ?? [], 'debug', [settings.segmindApiKey ?? '']);
  const rowWorker = makeRowWorker({
    settings,
    logger,
    lockDurationMs: options.lockDurationMs ?? 5000,
    ...(options.concurrency ? { concurrency: options.concurrency } : {}),
  });
  return { rowWorker, settings };
}
