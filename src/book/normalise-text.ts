// Invisible characters that only shape printed text: soft hyphen, zero-width space and joiners,
// byte order mark, and controls (the script refuses C0 controls in a row's text).
// eslint-disable-next-line no-control-regex -- removing control characters is the point
const INVISIBLE = /\u200D|[\u00AD\u200B\u200C\u2060\uFEFF\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;

/**
 * A paragraph as it is spoken and stored: invisible characters removed, every run of whitespace
 * (line breaks of hard-wrapped text included) one space, trimmed.
 */
export function normaliseParagraph(text: string): string {
  return text.replace(INVISIBLE, '').replace(/\s+/gu, ' ').trim();
}

/** The non-empty normalised paragraphs of `texts`. */
export function normaliseParagraphs(texts: Iterable<string>): string[] {
  const paragraphs: string[] = [];
  for (const text of texts) {
    const paragraph = normaliseParagraph(text);
    if (paragraph !== '') paragraphs.push(paragraph);
  }
  return paragraphs;
}
