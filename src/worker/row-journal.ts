import type { Logger } from '../log.js';
import type { JournalState, SubmitJournal } from '../output/submit-journal.js';
import { emptyProgress, type ProgressStore, type RowProgress } from '../queue/row-progress.js';

export type JournalDeps = {
  readonly journal: SubmitJournal;
  readonly store: ProgressStore;
  readonly logger: Logger;
};

/**
 * The progress a row's (or a part's) journal on disk implies when Redis has none: its submits
 * stay counted (with a reason for each one whose answer never came), and its last request is
 * polled again rather than paid for anew. `read: false` (an unsafe id, a row whose submits are
 * its parts'): no journal is looked at.
 */
export async function progressFromJournal(
  deps: JournalDeps,
  id: string,
  contentHash: string,
  recordedSubmits: number,
  read = true,
): Promise<RowProgress> {
  const empty = emptyProgress(contentHash, recordedSubmits);
  if (!read) return empty;
  const found = await deps.journal.read(id, contentHash);
  if (!found || found.submits <= recordedSubmits) return empty;
  deps.logger.warn(
    { event: 'progress_from_journal', submits: found.submits, requestId: found.last?.requestId },
    'Redis had no progress for this row: resuming from the submit journal in the output directory',
  );
  const unanswered = found.submits - (found.last ? 1 : 0) - recordedSubmits;
  const reasons = Array.from({ length: Math.max(unanswered, 0) }, () => 'crash-during-submit').join(',');
  return deps.store.save(id, {
    ...empty,
    submits: found.submits,
    reasons,
    current: found.last,
    lastRequestId: found.last?.requestId,
  });
}

/** Why a submit only the journal remembers was made: Redis lost it (a failover, an older snapshot). */
export const FORGOTTEN_SUBMIT = 'redis-forgot';

/**
 * A row's (or a part's) progress as the worker taking it starts from: `stored`, what Redis holds
 * for this version (loaded by the caller, beside its other reads), unless the journal on disk
 * holds more submits than it (Redis came back without its last writes: a failover to a replica
 * that had not received them, a restart from an older snapshot). Then the journal's count is
 * kept, each forgotten submit with the reason `redis-forgot`, and its last answered request is
 * polled again rather than paid for anew. No progress in Redis: from the journal alone.
 */
export async function loadRowProgress(
  deps: JournalDeps,
  id: string,
  contentHash: string,
  stored: RowProgress | undefined,
  recordedSubmits: number,
  read = true,
): Promise<RowProgress> {
  if (stored === undefined) return progressFromJournal(deps, id, contentHash, recordedSubmits, read);
  if (!read) return stored;
  const found = await deps.journal.read(id, contentHash);
  if (!found) return stored;
  if (found.submits <= stored.submits) return answerFromJournal(deps, id, stored, found);
  deps.logger.warn(
    { event: 'progress_behind_journal', submits: stored.submits, journal: found.submits },
    "Redis forgot some of this row's submits: counting them from the submit journal in the output directory",
  );
  return deps.store.recount(id, stored, found.submits, FORGOTTEN_SUBMIT, found.last);
}

/**
 * A worker killed after the answer of its submit reached the journal and before it reached Redis
 * left the submit counted and in flight (`sending`): the answer is taken from the journal, and
 * the request it names is polled, not paid for again (the submit would otherwise be settled as
 * `crash-during-submit` and sent anew).
 */
async function answerFromJournal(
  deps: JournalDeps,
  id: string,
  stored: RowProgress,
  found: JournalState,
): Promise<RowProgress> {
  const { last, lastToken } = found;
  if (last === undefined || lastToken === undefined) return stored;
  if (stored.current !== undefined || stored.saved !== undefined || last.requestId === stored.lastRequestId)
    return stored;
  const inFlight = [stored.sending, stored.settled].some((list) => list.split(',').includes(lastToken));
  if (!inFlight) return stored;
  deps.logger.info(
    { event: 'answer_from_journal', requestId: last.requestId },
    'the answer of the last submit was in the journal, not in Redis: polling that request',
  );
  return deps.store.answer(id, stored, lastToken, last);
}
