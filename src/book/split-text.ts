import { speechWeight } from './speech-weight.js';

// Clause punctuation (Latin and CJK) with the whitespace after it.
const CLAUSE_END = /[,;:，；：、]+\s*|\s*[—–]+\s*|\s+-\s+/gu;
const WORD_END = /\s+/gu;

/** `text` cut after every match of `boundary` (a global regex); the pieces join back to `text`. */
export function cutAfter(text: string, boundary: RegExp): string[] {
  const pieces: string[] = [];
  let start = 0;
  for (const match of text.matchAll(boundary)) {
    const end = match.index + match[0].length;
    if (end > start && end < text.length) {
      pieces.push(text.slice(start, end));
      start = end;
    }
  }
  if (start < text.length) pieces.push(text.slice(start));
  return pieces;
}

function cutByCodePoints(text: string, capChars: number): string[] {
  const pieces: string[] = [];
  let piece = '';
  let weight = 0;
  for (const point of text) {
    const pointWeight = speechWeight(point);
    if (piece !== '' && weight + pointWeight > capChars) {
      pieces.push(piece);
      piece = '';
      weight = 0;
    }
    piece += point;
    weight += pointWeight;
  }
  if (piece !== '') pieces.push(piece);
  return pieces;
}

/**
 * A sentence longer than the cap, cut into pieces each within it: at clause punctuation first,
 * then between words, then (a "word" longer than the cap) between characters.
 */
export function cutLongSentence(sentence: string, capChars: number): string[] {
  const levels: readonly ((text: string) => string[])[] = [
    (text) => cutAfter(text, CLAUSE_END),
    (text) => cutAfter(text, WORD_END),
    (text) => cutByCodePoints(text, capChars),
  ];
  const cut = (text: string, level: number): string[] => {
    if (speechWeight(text) <= capChars) return [text];
    const split = levels[level];
    if (split === undefined) return [text];
    return split(text).flatMap((piece) => cut(piece, level + 1));
  };
  return cut(sentence, 0);
}

/**
 * Consecutive pieces packed into as few groups as fit `targetChars`, evened out (a paragraph of
 * 1,600 characters becomes two of about 800, not 1,500 and 100). A piece is never cut here.
 */
export function packPieces(pieces: readonly string[], targetChars: number): string[] {
  const weights = pieces.map(speechWeight);
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  const groups = Math.max(1, Math.ceil(total / targetChars));
  const goal = Math.min(targetChars, Math.ceil((total / groups) * 1.1));
  const packed: string[] = [];
  let current = '';
  let currentWeight = 0;
  pieces.forEach((piece, index) => {
    const weight = weights[index] ?? 0;
    if (current !== '' && currentWeight + weight > goal) {
      packed.push(current);
      current = '';
      currentWeight = 0;
    }
    current += piece;
    currentWeight += weight;
  });
  if (current !== '') packed.push(current);
  return packed;
}
