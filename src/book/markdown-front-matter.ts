/** The fields of a Markdown book's front matter that the audiobook's tags use. */
export type MarkdownFrontMatter = {
  readonly title: string | undefined;
  readonly author: string | undefined;
};

const FIELD = /^([A-Za-z][\w-]*)\s*:\s*(.*?)\s*$/;

/** A YAML scalar as written on one line: quotes removed (`''` and `\"` unescaped), a comment dropped. */
function scalar(raw: string): string {
  if (raw.startsWith('"') && raw.endsWith('"') && raw.length >= 2)
    return raw.slice(1, -1).replace(/\\(["\\])/g, '$1');
  if (raw.startsWith("'") && raw.endsWith("'") && raw.length >= 2)
    return raw.slice(1, -1).replace(/''/g, "'");
  return raw.replace(/\s+#.*$/, '');
}

/**
 * `title` and `author` from a `---` front matter block at the top of a Markdown file (the
 * one-line `key: value` form that Pandoc and static site generators read; other keys, lists and
 * nested values are ignored). Absent or empty values are undefined.
 */
export function readMarkdownFrontMatter(source: string): MarkdownFrontMatter {
  const lines = source
    .replace(/^\uFEFF/, '')
    .replace(/\r\n?/g, '\n')
    .split('\n');
  const fields = new Map<string, string>();
  if (lines[0]?.trim() === '---') {
    for (let at = 1; at < lines.length; at += 1) {
      const line = lines[at] ?? '';
      if (/^(---|\.\.\.)\s*$/.test(line)) {
        const value = (key: string) => {
          const text = fields.get(key);
          return text === undefined || text === '' ? undefined : text;
        };
        return { title: value('title'), author: value('author') };
      }
      const field = FIELD.exec(line);
      if (field?.[1] !== undefined) fields.set(field[1].toLowerCase(), scalar(field[2] ?? ''));
    }
  }
  return { title: undefined, author: undefined };
}
