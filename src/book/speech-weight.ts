/**
 * How much longer one CJK character takes to speak than one Latin letter. English narration runs
 * near 15 letters a second (about 150 words a minute); Mandarin near 4-5 characters a second and
 * Japanese near 7-8 kana: one ideograph or kana weighs about as much as three letters.
 */
export const CJK_SPEECH_WEIGHT = 3;

// Han, Hiragana, Katakana, Hangul syllables and jamo, CJK punctuation: spoken (or paused) at
// syllable pace rather than letter pace.
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u3000-\u303f]/u;
const CJK_GLOBAL = new RegExp(CJK.source, 'gu');

/**
 * A text's length in speech, in Latin-letter units: code points, with CJK characters counted
 * `CJK_SPEECH_WEIGHT` times. Chunk sizes (`TTS_CHUNK_CHARS`, the hard cap) are in these units.
 */
export function speechWeight(text: string): number {
  let points = 0;
  for (let at = 0; at < text.length; at += 1) {
    const code = text.charCodeAt(at);
    if (code < 0xdc00 || code > 0xdfff) points += 1;
  }
  if (!CJK.test(text)) return points;
  const cjk = text.match(CJK_GLOBAL)?.length ?? 0;
  return points + cjk * (CJK_SPEECH_WEIGHT - 1);
}
