import { readWavInfo, type WavInfo } from './wav-file.js';

/** A chapter WAV: where its samples are and what they are (the shared WAV reader's view), and its path. */
export type ChapterWav = WavInfo & { readonly file: string };

export async function readChapterWav(file: string): Promise<ChapterWav> {
  return { file, ...(await readWavInfo(file)) };
}
