import { chunkChapter } from '../book/chunker.js';
import { normaliseParagraphs } from '../book/normalise-text.js';
import { speechWeight } from '../book/speech-weight.js';

/**
 * The parts a row's text is sent as, or undefined when it goes whole: a text over the chunk size
 * (`TTS_CHUNK_CHARS`, in speech-weighted characters) is split as a book's chapter is, whole
 * sentences packed up to the target, never across a paragraph end (blank lines) unless the
 * paragraphs are tiny. A row that fits is sent as written, never normalised.
 */
export function splitRowText(text: string, chunkChars: number): string[] | undefined {
  if (speechWeight(text) <= chunkChars) return undefined;
  const paragraphs = normaliseParagraphs(text.split(/\n\s*\n/u));
  const parts = chunkChapter(paragraphs, { targetChars: chunkChars }).map((chunk) => chunk.text);
  return parts.length > 1 ? parts : undefined;
}
