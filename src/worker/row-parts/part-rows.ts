import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256Hex } from '../../enqueue/content-hash.js';
import type { ManifestPart } from '../../output/manifest-entry.js';
import type { RowJobData } from '../../queue/row-job.js';
import {
  emptyProgress,
  type ProgressStore,
  type RowProgress,
  type SavedAudio,
  type SavedQa,
} from '../../queue/row-progress.js';
import { PARTS_DIR, type RowPart } from '../../queue/row-parts.js';
import { makeRow } from '../make-row.js';
import { loadRowProgress } from '../row-journal.js';
import { resubmitReasons } from '../row-steps/manifest-line.js';
import type { Row, RowContext } from '../row-steps/row-context.js';
import { saveProgress } from '../row-steps/save-progress.js';

/** Where a row's parts wait to be joined: `<run dir>/.parts/<row id>/`. */
export function partsDir(whole: Row): string {
  return join(whole.outDir, PARTS_DIR, whole.data.id);
}

/**
 * One part as a row of its own: the part's request, progress (from Redis, else its journal) and
 * audio file; same job lock, signal and journal folder as its whole row. A part whose saved file
 * is gone (removed after an earlier version of the row was joined) fetches its result again.
 */
export async function loadPart(
  whole: Row,
  part: RowPart,
  context: RowContext,
  fail: NonNullable<Row['partOf']>['fail'],
): Promise<Row> {
  const { store, journal } = whole;
  const logger = whole.logger.child({ part: part.index });
  const data: RowJobData = {
    run: whole.data.run,
    id: part.key,
    line: whole.data.line,
    seq: whole.data.seq,
    request: part.request,
    meta: whole.data.meta,
    contentHash: part.contentHash,
  };
  const stored = await store.load(part.key, part.contentHash);
  const progress = await loadRowProgress({ journal, store, logger }, part.key, part.contentHash, stored, 0);
  const row = makeRow(context, {
    data,
    job: { lock: whole.lock, attempt: whole.attempt },
    outDir: whole.outDir,
    store,
    journal,
    logger,
    signal: whole.signal,
    progress,
    scriptRow: whole.scriptRow,
    audioTarget: { dir: partsDir(whole), name: `p-${part.contentHash}` },
    partOf: { fail },
  });
  const saved = progress.saved;
  if (saved && !(await exists(join(partsDir(whole), saved.file)))) {
    logger.info({ event: 'part_refetch' }, 'part audio no longer on disk: fetching its result again');
    await saveProgress(row, { saved: undefined });
  }
  return row;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** Every part's progress as Redis has it now (a part never started: none). */
export async function loadPartProgress(
  store: ProgressStore,
  parts: readonly RowPart[],
): Promise<(RowProgress | undefined)[]> {
  return Promise.all(parts.map((part) => store.load(part.key, part.contentHash)));
}

/**
 * The whole row's progress: its parts' submits and calls summed (a part repeated in the row
 * counted once: it is one request), their reasons in order, and the joined file once saved.
 */
export function wholeProgress(
  contentHash: string,
  parts: readonly RowPart[],
  progress: readonly (RowProgress | undefined)[],
  saved: SavedAudio | undefined,
): RowProgress {
  const seen = new Set<string>();
  let submits = 0;
  let calls = 0;
  const reasons: string[] = [];
  let lastRequestId: string | undefined;
  parts.forEach((part, index) => {
    const one = progress[index];
    if (one === undefined || seen.has(part.key)) return;
    seen.add(part.key);
    submits += one.submits;
    calls += one.calls;
    if (one.reasons !== '') reasons.push(one.reasons);
    lastRequestId = one.current?.requestId ?? one.lastRequestId ?? lastRequestId;
  });
  return {
    ...emptyProgress(contentHash, submits),
    calls,
    reasons: reasons.join(','),
    lastRequestId,
    saved,
  };
}

const QA_ORDER: readonly SavedQa['status'][] = ['pass', 'retaken', 'unchecked', 'needs_review'];

/** The row's checks from its parts': the worst status, every reason once, every take counted. */
export function partsQa(progress: readonly (RowProgress | undefined)[]): SavedQa | undefined {
  const qas = progress.flatMap((one) => (one?.saved?.qa ? [one.saved.qa] : []));
  if (qas.length === 0) return undefined;
  const status = qas.reduce<SavedQa['status']>(
    (worst, qa) => (QA_ORDER.indexOf(qa.status) > QA_ORDER.indexOf(worst) ? qa.status : worst),
    'pass',
  );
  const reasons = [...new Set(qas.flatMap((qa) => (qa.reasons === '' ? [] : qa.reasons.split(','))))];
  return { status, reasons: reasons.join(','), takes: qas.reduce((sum, qa) => sum + qa.takes, 0) };
}

/** The parts as the row's manifest entry lists them; a repeated part's request is listed once with its submits. */
export function partListing(
  parts: readonly RowPart[],
  progress: readonly (RowProgress | undefined)[],
): ManifestPart[] {
  const seen = new Set<string>();
  return parts.map((part, index) => {
    const one = progress[index] ?? emptyProgress(part.contentHash);
    const first = !seen.has(part.key);
    seen.add(part.key);
    return {
      request_id: one.saved?.requestId ?? one.current?.requestId ?? one.lastRequestId ?? null,
      text_sha256: sha256Hex(part.request.text),
      chars: [...part.request.text].length,
      submits: first ? one.submits : 0,
      duration_s: one.saved?.durationS ?? null,
      cost: first ? (one.saved?.cost ?? null) : null,
      resubmit_reasons: first ? resubmitReasons(one) : [],
      ...(one.saved?.qa ? { qa_status: one.saved.qa.status } : {}),
    };
  });
}
