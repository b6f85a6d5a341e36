import { CHUNK_CAP_CHARS, TINY_PARAGRAPH_CHARS } from './chunk-limits.js';
import { splitSentences } from './sentences.js';
import { speechWeight } from './speech-weight.js';
import { cutLongSentence, packPieces } from './split-text.js';

export type ChunkOptions = {
  /** Target size in speech-weighted characters (`TTS_CHUNK_CHARS`); never above the hard cap. */
  readonly targetChars: number;
  /** Locale of the sentence segmenter (the book's language). */
  readonly locale?: string;
};

/** A piece of a chapter sent to the API as one request. */
export type Chunk = {
  /** Trimmed; paragraphs that share a chunk are separated by a blank line. */
  readonly text: string;
  /** 0-based index of the first and last paragraph it holds. */
  readonly firstParagraph: number;
  readonly lastParagraph: number;
};

/** Separates paragraphs inside one chunk. */
export const PARAGRAPH_BREAK = '\n\n';

/**
 * One paragraph in chunks: whole sentences packed up to the target; a sentence longer than the
 * hard cap is cut at clause punctuation, then between words.
 */
export function chunkParagraph(paragraph: string, options: ChunkOptions): string[] {
  const targetChars = Math.min(options.targetChars, CHUNK_CAP_CHARS);
  if (speechWeight(paragraph) <= targetChars) return [paragraph.trim()];
  const pieces = splitSentences(paragraph, options.locale).flatMap((sentence) =>
    cutLongSentence(sentence, CHUNK_CAP_CHARS),
  );
  return packPieces(pieces, targetChars)
    .map((text) => text.trim())
    .filter((text) => text !== '');
}

/**
 * FNV-1a of a paragraph: where a run of tiny paragraphs may end. Deciding group ends by content
 * (not by position or running size alone) keeps an edit local: changing one dialogue line
 * changes the chunk holding it, not every chunk after it.
 */
function endsGroup(paragraph: string): boolean {
  let hash = 0x811c9dc5;
  for (let at = 0; at < paragraph.length; at += 1) {
    hash = Math.imul(hash ^ paragraph.charCodeAt(at), 0x01000193) >>> 0;
  }
  return hash % 4 === 0;
}

/**
 * A chapter's paragraphs in chunks. A chunk never crosses a paragraph end, except that runs of
 * tiny paragraphs (at most `TINY_PARAGRAPH_CHARS` each) share chunks up to the target.
 * Paragraphs are expected whitespace-normalised and non-empty.
 */
export function chunkChapter(paragraphs: readonly string[], options: ChunkOptions): Chunk[] {
  const targetChars = Math.min(options.targetChars, CHUNK_CAP_CHARS);
  const chunks: Chunk[] = [];
  let group: { texts: string[]; first: number; weight: number } | undefined;
  const closeGroup = () => {
    if (group === undefined) return;
    const text = group.texts.join(PARAGRAPH_BREAK);
    chunks.push({ text, firstParagraph: group.first, lastParagraph: group.first + group.texts.length - 1 });
    group = undefined;
  };
  paragraphs.forEach((paragraph, index) => {
    const weight = speechWeight(paragraph);
    if (weight > TINY_PARAGRAPH_CHARS) {
      closeGroup();
      for (const text of chunkParagraph(paragraph, options)) {
        chunks.push({ text, firstParagraph: index, lastParagraph: index });
      }
      return;
    }
    if (group !== undefined && group.weight + PARAGRAPH_BREAK.length + weight > targetChars) closeGroup();
    if (group === undefined) group = { texts: [], first: index, weight: -PARAGRAPH_BREAK.length };
    group.texts.push(paragraph.trim());
    group.weight += PARAGRAPH_BREAK.length + weight;
    if (endsGroup(paragraph)) closeGroup();
  });
  closeGroup();
  return chunks;
}
