import type { ClipQa } from '../../qa/clip-qa.js';
import type { RowProgress, SavedAudio, SavedQa } from '../../queue/row-progress.js';
import { noteReview } from '../../queue/run-review.js';
import type { Row, RowContext } from './row-context.js';
import { saveProgress } from './save-progress.js';
import {
  betterTake,
  moveAside,
  readTakes,
  removeTakes,
  restoreTake,
  takeFileOf,
  type SavedTake,
} from './takes.js';

/**
 * Checks the saved clip (src/qa). It passes: recorded as `pass`, or `retaken` when an earlier take
 * failed (those are removed). It fails with re-takes left (`TTS_QA_RETAKES`): the take is kept
 * aside and the row submits again, a counted submit with reason `qa:<check>`. It fails with none
 * left: the best take is kept, as `needs_review` with its reasons; never shipped as good.
 * Takes of a version the person replaced (`retake --voice --temperature`) take no part: the new
 * version's take is kept whatever its checks say, and the replaced takes are removed.
 */
export async function checkStep(row: Row, context: RowContext): Promise<RowProgress> {
  const saved = row.progress.saved;
  if (!saved) return row.progress;
  const takes = readTakes(row.progress);
  const contenders = takes.filter((take) => take.superseded !== true);
  const n = contenders.length + 1;
  const clip = { run: row.data.run, id: row.data.id };
  const check = await context.qa.check(`${row.audioTarget.dir}/${saved.file}`, row.data.request, clip);
  if ('unchecked' in check) {
    const progress = await saveProgress(row, {
      saved: withQa(saved, { status: 'unchecked', reasons: check.unchecked, takes: n }),
    });
    return dropReplaced(row, progress, takes);
  }
  const { qa } = check;
  if (qa.verdict === 'pass') {
    await context.qa.learn(row.data.request, qa, clip);
    if (!row.partOf)
      await noteReview(context.redis, context.prefix, row.data.run, row.scriptRow.id, undefined);
    const progress = await saveProgress(row, {
      saved: withQa(saved, summary(qa, contenders.length > 0 ? 'retaken' : 'pass', n)),
      takes: undefined,
    });
    await removeTakes(row, takes);
    return progress;
  }
  const reasons = qa.reasons.join(',');
  const current: SavedTake = {
    ...saved,
    takeFile: takeFileOf(row, saved, takes.length + 1),
    qaReasons: reasons,
    measured: qa.measured,
  };
  if (contenders.length < context.qaRetakes) {
    row.logger.warn({ event: 'qa_retake', reasons, take: n }, 'clip failed its checks: taking it again');
    const why = `qa:${qa.reasons[0] ?? 'check'}`;
    // Noted first, moved after: a worker killed in between finds the take aside or still in place.
    const progress = await saveProgress(row, {
      takes: JSON.stringify([...takes, current]),
      saved: undefined,
      current: undefined,
      reasons: row.progress.reasons === '' ? why : `${row.progress.reasons},${why}`,
    });
    await moveAside(row, saved.file, current.takeFile);
    return progress;
  }
  const best = betterTake([...contenders, current]) ?? current;
  // An earlier take set aside by `retake` may have passed: it stays the row's audio, as `pass`.
  const passed = best.qaReasons === '';
  await noteReview(
    context.redis,
    context.prefix,
    row.data.run,
    row.scriptRow.id,
    passed ? undefined : best.qaReasons,
  );
  if (!passed)
    row.logger.warn(
      { event: 'qa_needs_review', reasons: best.qaReasons, takes: n },
      'no take passed its checks: kept for review',
    );
  const file = best === current ? saved.file : await restoreTake(row, best);
  const {
    takeFile: _takeFile,
    qaReasons: _qaReasons,
    measured: _measured,
    qa: _qa,
    superseded: _superseded,
    ...audio
  } = best;
  const progress = await saveProgress(row, {
    saved: withQa(
      { ...audio, file },
      {
        status: passed ? 'pass' : 'needs_review',
        reasons: best.qaReasons,
        takes: n,
        measured: best.measured,
      },
    ),
  });
  return dropReplaced(row, progress, takes);
}

/** Once a take of the new version is kept: the takes of the version it replaced go (noted first, removed after). */
async function dropReplaced(
  row: Row,
  progress: RowProgress,
  takes: readonly SavedTake[],
): Promise<RowProgress> {
  const replaced = takes.filter((take) => take.superseded === true);
  if (replaced.length === 0) return progress;
  const kept = takes.filter((take) => take.superseded !== true);
  const next = await saveProgress(row, { takes: kept.length > 0 ? JSON.stringify(kept) : undefined });
  await removeTakes(row, replaced);
  return next;
}

/**
 * A person asked for a new take (`tts-batch retake`): the saved clip is kept aside as a take, with
 * its checks, and the row submits again (a counted submit, reason `retake`). The new take is
 * checked against it: the better one stays the row's audio. A retake with another voice or
 * temperature (`takeAgain: 'override'`) replaces the version: the take set aside is superseded.
 */
export async function setAsideStep(row: Row): Promise<RowProgress> {
  const saved = row.progress.saved;
  if (!saved) return row.progress;
  const takes = readTakes(row.progress);
  const { qa, ...audio } = saved;
  const take: SavedTake = {
    ...audio,
    takeFile: takeFileOf(row, saved, takes.length + 1),
    qaReasons: qa?.reasons ?? '',
    measured: qa?.measured ?? {},
    ...(row.progress.takeAgain === 'override' ? { superseded: true } : {}),
  };
  const progress = await saveProgress(row, {
    takes: JSON.stringify([...takes, take]),
    saved: undefined,
    current: undefined,
    takeAgain: undefined,
    reasons: row.progress.reasons === '' ? 'retake' : `${row.progress.reasons},retake`,
  });
  await moveAside(row, saved.file, take.takeFile);
  return progress;
}

function summary(qa: ClipQa, status: SavedQa['status'], takes: number): SavedQa {
  return { status, reasons: qa.reasons.join(','), takes, measured: qa.measured };
}

function withQa(saved: SavedAudio, qa: SavedQa): SavedAudio {
  return { ...saved, qa };
}
