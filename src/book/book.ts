/** One chapter of a book, as read from its source: a title and its paragraphs in order. */
export type BookChapter = {
  /** The chapter's title as written (the `chapter` field of its rows). */
  readonly title: string;
  /** Whether the title is spoken as a row of its own: false for untitled text before the first heading. */
  readonly titleSpoken: boolean;
  /** Whitespace-normalised, non-empty. */
  readonly paragraphs: readonly string[];
};

/** The cover image of an EPUB, for the audiobook's tags. */
export type BookCover = {
  readonly mediaType: string;
  /** File name inside the archive (for its extension). */
  readonly name: string;
  readonly bytes: Uint8Array;
};

/** A book read from an EPUB, Markdown or text file: what the script and the audiobook's tags need. */
export type Book = {
  readonly title: string | undefined;
  readonly author: string | undefined;
  /** BCP 47 tag from the EPUB's metadata: the sentence segmenter's locale. */
  readonly language: string | undefined;
  readonly cover: BookCover | undefined;
  readonly chapters: readonly BookChapter[];
  /** Things the user should know (no heading found, an empty chapter dropped). */
  readonly warnings: readonly string[];
};
