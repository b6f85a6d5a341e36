import { rm } from 'node:fs/promises';
import type { ManifestPart } from '../../output/manifest-entry.js';
import type { ProgressStore, RowProgress } from '../../queue/row-progress.js';
import type { RowPart } from '../../queue/row-parts.js';
import { failRow } from '../row-error.js';
import { recordStep } from '../row-steps/record-step.js';
import type { Row, RowContext } from '../row-steps/row-context.js';
import { runSteps } from '../row-steps/run-steps.js';
import { joinPartFiles } from './join-parts.js';
import { loadPart, loadPartProgress, partListing, partsDir, partsQa, wholeProgress } from './part-rows.js';

/**
 * A row sent in parts: each part, in order, through the steps of a row until its audio is saved
 * (its own progress, journal and counted submits), then the parts joined into the row's one
 * file and the row recorded with their sum. A part that fails fails the row. Parts already paid
 * for (an earlier attempt, a killed worker) are not paid for again.
 */
export async function processParts(
  whole: Row,
  parts: readonly RowPart[],
  context: RowContext,
): Promise<void> {
  const recorder = wholeRecorder(whole);
  const fail = async (error: string, retry: 'resubmit' | 'resume'): Promise<never> => {
    await settleWhole(recorder, whole.store, parts);
    return failRow(recorder, context, error, retry);
  };
  const files: string[] = [];
  for (const part of parts) {
    const row = await loadPart(whole, part, context, fail);
    if ((await runSteps(row, context, 'saved')) === 'superseded') return;
    const saved = row.progress.saved;
    if (!saved) throw new Error('a part left its steps without saved audio');
    files.push(`${partsDir(whole)}/${saved.file}`);
  }
  let joined;
  try {
    joined = await joinPartFiles(files, whole.outDir, whole.data.id);
  } catch (error) {
    return fail(`could not join the row's ${parts.length} parts: ${(error as Error).message}`, 'resume');
  }
  const { listed, loaded } = await settleWhole(recorder, whole.store, parts);
  const qa = partsQa(loaded);
  const saved = {
    ...joined,
    requestId: listed[0]?.request_id ?? '',
    inferenceTimeS: sum(
      loaded.map((one, index) => (listed[index]?.submits ? (one?.saved?.inferenceTimeS ?? null) : null)),
    ),
    cost: sum(listed.map((one) => one.cost)),
    ...(qa === undefined ? {} : { qa }),
  };
  recorder.progress = { ...recorder.progress, saved };
  await recordStep(recorder, context, { status: 'completed', saved });
  await cleanUpParts(whole, parts);
}

/**
 * The whole row as it is recorded: its progress is its parts' sum, kept in memory only (the
 * parts' progress in Redis is the record; a stored sum would go stale as parts go on).
 */
function wholeRecorder(whole: Row): Row {
  const noSubmits = () => Promise.reject(new Error('a row sent in parts submits through its parts'));
  const held: ProgressStore = {
    load: () => Promise.resolve(undefined),
    save: (_id, progress) => Promise.resolve(progress),
    begin: noSubmits,
    answer: noSubmits,
    cancel: noSubmits,
    settle: noSubmits,
    recount: noSubmits,
  };
  return { ...whole, store: held, unsavedCalls: 0, countCalls: () => Promise.resolve(0) };
}

/**
 * Sums the parts into the recorder (read from Redis: parts not reached in this attempt count
 * too), lists them for the manifest, and opens the row's journal, where its line mark goes.
 */
async function settleWhole(
  recorder: Row,
  store: ProgressStore,
  parts: readonly RowPart[],
): Promise<{ listed: ManifestPart[]; loaded: (RowProgress | undefined)[] }> {
  const loaded = await loadPartProgress(store, parts);
  const listed = partListing(parts, loaded);
  recorder.progress = wholeProgress(recorder.data.contentHash, parts, loaded, undefined);
  recorder.parts = listed;
  await recorder.journal.append(recorder.data.id, {
    t: 'open',
    h: recorder.data.contentHash,
    at: Date.now(),
  });
  return { listed, loaded };
}

/** Once the row is recorded: its parts' journals and files are done with. */
export async function cleanUpParts(whole: Row, parts: readonly RowPart[]): Promise<void> {
  await Promise.all(parts.map((part) => whole.journal.remove(part.key)));
  await rm(partsDir(whole), { recursive: true, force: true });
}

function sum(values: readonly (number | null)[]): number | null {
  const known = values.filter((value): value is number => value !== null);
  return known.length === 0 ? null : known.reduce((total, value) => total + value, 0);
}
