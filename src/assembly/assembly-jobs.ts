import type { JobsOptions } from 'bullmq';
import { SECOND } from '../time.js';

/** Join one chapter's rows into `chapters/<file>`, for one content version. */
export type ChapterJobData = {
  readonly kind: 'chapter';
  readonly run: string;
  /** 1-based chapter index in the run's plan. */
  readonly index: number;
  /** See chapterVersion(). */
  readonly version: string;
};

/** Encode the audiobook, its captions and chapters.json from the chapters' files, for one version. */
export type BookJobData = {
  readonly kind: 'book';
  readonly run: string;
  /** See bookVersion(). */
  readonly version: string;
  /** The chapter versions the book is made of, in order. */
  readonly chapters: readonly string[];
};

/** `--master acx` in a run without chapters: master every completed clip, for one version of them. */
export type ClipsJobData = {
  readonly kind: 'clips';
  readonly run: string;
  /** See clipsVersion(). */
  readonly version: string;
};

export type AssemblyJobData = ChapterJobData | BookJobData | ClipsJobData;

/** Job ids are fixed per content version: adding the same version twice adds nothing (BullMQ refuses `:`). */
export function chapterJobId(run: string, index: number, version: string): string {
  return `${run}/chapter/${index}/${version.slice(0, 24)}`;
}

export function bookJobId(run: string, version: string): string {
  return `${run}/book/${version.slice(0, 24)}`;
}

export function clipsJobId(run: string, version: string): string {
  return `${run}/clips/${version.slice(0, 24)}`;
}

/**
 * Completed assembly jobs are kept (a few per run) so that their fixed ids keep refusing a
 * second job of the same version; a job removed anyway finds its version's done-marker and does
 * nothing. A stalled job (its worker killed) is taken again, not failed.
 */
export const ASSEMBLY_JOB_OPTIONS = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 5 * SECOND },
  removeOnComplete: { count: 10_000 },
  removeOnFail: false,
} as const satisfies JobsOptions;
