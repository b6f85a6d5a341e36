import { finishedManifest, until } from './processes.js';
import { startNight, type Night } from './night.js';
import { startTestWorker } from './worker.js';

/**
 * What a test file of nights needs: a night, an in-process worker, and the run's finished
 * manifest; each night and worker is closed or stopped by `cleanups` at the file's end.
 */
export function nightKit(cleanups: (() => Promise<unknown>)[]) {
  return {
    night: async (options: Parameters<typeof startNight>[0] = {}): Promise<Night> => {
      const started = await startNight(options);
      cleanups.push(() => started.close());
      return started;
    },
    worker: (env: Record<string, string>, concurrency?: number) => {
      const started = startTestWorker({ env, ...(concurrency ? { concurrency } : {}) });
      cleanups.push(() => started.rowWorker.stop());
      return started.rowWorker;
    },
    finished: async (n: Night, rows: number): Promise<Record<string, unknown>[]> => {
      let entries: Record<string, unknown>[] | undefined;
      await until(() => (entries = finishedManifest(n.outDir, rows)) !== undefined, 'the run to finish');
      return entries ?? [];
    },
  };
}
