import { splitSentences } from '../book/sentences.js';
import { speechWeight } from '../book/speech-weight.js';
import type { JoinLayout } from './join-clips.js';

/** One caption: a sentence and when it is spoken, in ms on the timeline the cues were made for. */
export type Cue = { readonly startMs: number; readonly endMs: number; readonly text: string };

export type CueOptions = {
  /** Where the joined file starts on the timeline, in its frames (a chapter's start in the book). */
  readonly offsetSamples?: number;
  /** For sentence boundaries (`Intl.Segmenter`). */
  readonly locale?: string;
};

/** One line of cue text: a line break or an arrow inside it would end the cue early for a player. */
function cueText(sentence: string): string {
  return sentence.replace(/\s+/g, ' ').replace(/-->/g, '->').trim();
}

/**
 * One cue per sentence of each clip. A clip's cues cover exactly its frames in the layout
 * (`[startSample, startSample + samples)`, pads included, gaps not); inside a clip each sentence
 * gets the share of its frames that it has of the clip's speech weight (characters, CJK counted
 * heavier): an estimate, since the audio carries no word timings.
 */
export function captionCues(
  layout: JoinLayout,
  texts: ReadonlyMap<string, string>,
  options: CueOptions = {},
): Cue[] {
  const offset = options.offsetSamples ?? 0;
  // Rounded as chapters.json rounds a sample to ms: a chapter's title cue starts exactly at its
  // chapter's start_ms (floor here put it 1 ms before when the two disagreed), and the last cue
  // ends at most at the rounded length of the audio.
  const toMs = (frame: number): number => Math.round(((offset + frame) * 1000) / layout.sampleRate);
  const cues: Cue[] = [];
  for (const clip of layout.clips) {
    const text = texts.get(clip.id);
    if (text === undefined) throw new RangeError(`Expected a text for clip \`${clip.id}\`, got none`);
    const sentences = splitSentences(text, options.locale)
      .map(cueText)
      .filter((sentence) => sentence.length > 0);
    const weights = sentences.map(speechWeight);
    const total = weights.reduce((sum, weight) => sum + weight, 0);
    let before = 0;
    for (const [index, sentence] of sentences.entries()) {
      const after = before + (weights[index] ?? 0);
      const startMs = toMs(clip.startSample + Math.round((clip.samples * before) / total));
      const endMs = toMs(clip.startSample + Math.round((clip.samples * after) / total));
      if (endMs > startMs) cues.push({ startMs, endMs, text: sentence });
      before = after;
    }
  }
  return cues;
}

function timestamp(ms: number, separator: ',' | '.'): string {
  const pad = (value: number, width: number): string => String(value).padStart(width, '0');
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor(ms / 60_000) % 60;
  const seconds = Math.floor(ms / 1000) % 60;
  return `${pad(hours, 2)}:${pad(minutes, 2)}:${pad(seconds, 2)}${separator}${pad(ms % 1000, 3)}`;
}

/** SubRip: numbered cues from 1, `00:00:01,234 --> 00:00:02,345`, a blank line after each. */
export function formatSrt(cues: readonly Cue[]): string {
  return cues
    .map(
      (cue, index) =>
        `${index + 1}\n${timestamp(cue.startMs, ',')} --> ${timestamp(cue.endMs, ',')}\n${cueText(cue.text)}\n`,
    )
    .join('\n');
}

function escapeVtt(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** WebVTT: the `WEBVTT` header, numbered cues, `00:00:01.234 --> 00:00:02.345`, text escaped. */
export function formatVtt(cues: readonly Cue[]): string {
  const body = cues.map(
    (cue, index) =>
      `${index + 1}\n${timestamp(cue.startMs, '.')} --> ${timestamp(cue.endMs, '.')}\n${escapeVtt(cueText(cue.text))}\n`,
  );
  return ['WEBVTT\n', ...body].join('\n');
}
