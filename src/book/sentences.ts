/**
 * Words that end in a full stop without ending a sentence. `Intl.Segmenter` breaks after
 * "Mr." in "Mr. Smith" (ICU's suppressions are not applied by Node), so a break after one of
 * these, or after a single capital (an initial: "J. R. R. Tolkien"), is undone.
 */
const ABBREVIATIONS: ReadonlySet<string> = new Set([
  'mr',
  'mrs',
  'ms',
  'mx',
  'dr',
  'prof',
  'st',
  'sr',
  'jr',
  'rev',
  'hon',
  'gen',
  'col',
  'capt',
  'lt',
  'sgt',
  'mt',
  'ft',
  'no',
  'vs',
  'etc',
  'cf',
  'al',
  'fig',
  'vol',
  'ch',
  'pp',
  'ed',
  'approx',
  'e.g',
  'i.e',
  'a.m',
  'p.m',
  'u.s',
  'u.k',
  'jan',
  'feb',
  'mar',
  'apr',
  'jun',
  'jul',
  'aug',
  'sep',
  'sept',
  'oct',
  'nov',
  'dec',
  'inc',
  'ltd',
  'co',
  'corp',
]);

// The last word before a trailing full stop (and any closing quote or space after it).
const LAST_WORD = /(?:^|[\s(["'“‘])((?:\p{L}\.)*\p{L}+)\.\s*$/u;

/** Whether a segment ends in an abbreviation or an initial rather than a sentence end. */
function endsInAbbreviation(segment: string): boolean {
  const match = LAST_WORD.exec(segment);
  if (match === null) return false;
  const word = match[1] ?? '';
  if (/^\p{Lu}$/u.test(word)) return true;
  return ABBREVIATIONS.has(word.toLowerCase());
}

const segmenters = new Map<string, Intl.Segmenter>();

function segmenterFor(locale: string): Intl.Segmenter {
  let segmenter = segmenters.get(locale);
  if (segmenter === undefined) {
    segmenter = new Intl.Segmenter(locale, { granularity: 'sentence' });
    segmenters.set(locale, segmenter);
  }
  return segmenter;
}

/**
 * The sentences of `text`, each with its trailing whitespace, so that they join back to `text`
 * exactly. Boundaries come from `Intl.Segmenter` for `locale`, except after abbreviations and
 * initials, and never before a lower-case letter.
 */
export function splitSentences(text: string, locale = 'en'): string[] {
  const sentences: string[] = [];
  for (const { segment } of segmenterFor(locale).segment(text)) {
    const last = sentences.length - 1;
    const previous = sentences[last];
    if (previous !== undefined && (endsInAbbreviation(previous) || /^\s*\p{Ll}/u.test(segment))) {
      sentences[last] = previous + segment;
    } else {
      sentences.push(segment);
    }
  }
  return sentences;
}
