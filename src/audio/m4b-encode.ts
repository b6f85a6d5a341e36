import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { formatFfmetadata } from './ffmetadata.js';
import { runFfmpeg } from './ffmpeg-process.js';
import { DEFAULT_BITRATE_KBPS, encoderArgs, rawPcmInput } from './m4b-ffmpeg-args.js';
import { checkM4b } from './m4b-check.js';
import { M4bCheckFailed } from './m4b-errors.js';
import { bookPcm } from './m4b-pcm-stream.js';
import { planM4b, type ChapterMark } from './m4b-plan.js';
import { readBackM4b } from './m4b-read-back.js';
import { readChapterWav } from './m4b-wav-input.js';

/** The book's tags: what players show, and its cover (a JPEG or PNG file) when it has one. */
export type M4bTags = {
  readonly title?: string | undefined;
  readonly author?: string | undefined;
  readonly cover?: string | undefined;
};

export type EncodeM4bInput = {
  /** In reading order; each a 16-bit PCM WAV, all of one sample rate and channel count. */
  readonly chapters: readonly { readonly title: string; readonly file: string }[];
  /** Silence between chapters (none before the first or after the last). */
  readonly gapMs: number;
  /** The .m4b to write; replaced whole (temp file in the same folder, then rename). */
  readonly out: string;
  readonly tags: M4bTags;
  /** AAC bit rate; 64 kb/s is plenty for mono speech at 24 kHz. */
  readonly bitrateKbps?: number;
  readonly signal?: AbortSignal;
};

/** What was written: each chapter's mark (checked against the file as read back) and the length. */
export type EncodeM4bResult = {
  readonly marks: readonly ChapterMark[];
  readonly totalSamples: number;
  readonly durationMs: number;
  readonly sampleRate: number;
  /** Samples of encoder delay that the file's edit list hides (read back). */
  readonly primingSamples: number;
};

/** Temp names start with the output's name so a sweeper of the folder can tell whose they are. */
function tempPath(out: string, suffix: string): string {
  return join(dirname(out), `.${basename(out)}.${process.pid}-${randomBytes(4).toString('hex')}${suffix}`);
}

/**
 * Encodes chapter WAVs into one AAC .m4b with a chapter mark at each chapter's exact first
 * sample (from the WAVs' data sizes and `gapMs`), the tags and the cover. The PCM streams
 * through ffmpeg's stdin, so memory stays flat for a book of any length. The file is written
 * under a temporary name, read back and checked (marks within 1 ms, length to the sample, tags,
 * cover), and only then renamed to `out`: a failed encode or check leaves no `out` and no temp.
 */
export async function encodeM4b(input: EncodeM4bInput, ffmpeg: string): Promise<EncodeM4bResult> {
  const wavs = await Promise.all(input.chapters.map((chapter) => readChapterWav(chapter.file)));
  const plan = planM4b(
    input.chapters.map((chapter, index) => ({ title: chapter.title, wav: wavs[index]! })),
    input.gapMs,
  );
  const metadataFile = tempPath(input.out, '.ffmetadata.txt');
  const temp = tempPath(input.out, '.tmp');
  try {
    await writeFile(
      metadataFile,
      formatFfmetadata({
        sampleRate: plan.sampleRate,
        title: input.tags.title,
        author: input.tags.author,
        chapters: plan.marks.map((mark) => ({
          title: mark.title,
          startSample: mark.startSample,
          endSample: mark.startSample + mark.samples,
        })),
      }),
    );
    const args = encoderArgs({
      audioInput: rawPcmInput(plan.sampleRate, plan.channels),
      quiet: true,
      metadataFile,
      cover: input.tags.cover,
      bitrateKbps: input.bitrateKbps ?? DEFAULT_BITRATE_KBPS,
      out: temp,
    });
    const frameBytes = plan.channels * 2;
    let fedBytes = 0;
    await runFfmpeg(ffmpeg, args, {
      stdin: bookPcm(wavs, plan.gapSamples * frameBytes, (bytes) => (fedBytes += bytes)),
      ...(input.signal === undefined ? {} : { signal: input.signal }),
    });
    if (fedBytes !== plan.totalSamples * frameBytes) {
      throw new M4bCheckFailed(input.out, [
        `${fedBytes} bytes of PCM read from the chapters, ${plan.totalSamples * frameBytes} expected (a chapter changed while encoding?)`,
      ]);
    }
    const read = await readBackM4b(ffmpeg, temp);
    const problems = checkM4b(plan, read, { ...input.tags, cover: input.tags.cover !== undefined });
    if (problems.length > 0) throw new M4bCheckFailed(input.out, problems);
    await rename(temp, input.out);
    return {
      marks: plan.marks,
      totalSamples: plan.totalSamples,
      durationMs: plan.durationMs,
      sampleRate: plan.sampleRate,
      primingSamples: read.timing.primingSamples,
    };
  } finally {
    await rm(temp, { force: true });
    await rm(metadataFile, { force: true });
  }
}
