import type { Logger } from '../log.js';
import type { SubmitJournal } from '../output/submit-journal.js';
import { runKeys } from '../queue/keys.js';
import type { RowJobData } from '../queue/row-job.js';
import type { ProgressStore, RowProgress } from '../queue/row-progress.js';
import type { AudioTarget } from '../segmind/audio-file.js';
import type { Row, RowContext } from './row-steps/row-context.js';
import { beginSubmit } from './row-steps/submit-step.js';

/** What a row takes from its BullMQ job: the lock only its holder may submit under, and the attempt. */
export type RowJob = {
  readonly lock: { readonly key: string; readonly token: string };
  readonly attempt: number;
};

export type RowParts = {
  readonly data: RowJobData;
  readonly job: RowJob;
  readonly outDir: string;
  readonly store: ProgressStore;
  readonly journal: SubmitJournal;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  readonly progress: RowProgress;
  readonly scriptRow: Row['scriptRow'];
  readonly audioTarget: AudioTarget;
  readonly partOf?: Row['partOf'];
};

/** A row (or a part of one) ready for its steps: its own client, whose submits it counts. */
export function makeRow(context: RowContext, parts: RowParts): Row {
  const statsKey = runKeys(context.prefix, parts.data.run).stats;
  const row: Row = {
    data: parts.data,
    scriptRow: parts.scriptRow,
    audioTarget: parts.audioTarget,
    ...(parts.partOf ? { partOf: parts.partOf } : {}),
    lock: parts.job.lock,
    attempt: parts.job.attempt,
    outDir: parts.outDir,
    store: parts.store,
    journal: parts.journal,
    logger: parts.logger,
    signal: parts.signal,
    progress: parts.progress,
    sendingToken: undefined,
    unsavedCalls: 0,
    countCalls: (calls) => (calls > 0 ? context.redis.hincrby(statsKey, 'calls', calls) : Promise.resolve(0)),
    client: context.makeClient({
      beforeSend: (call) => (call === 'submit' ? beginSubmit(row, context) : Promise.resolve()),
      onCall: () => (row.unsavedCalls += 1),
    }),
  };
  return row;
}
