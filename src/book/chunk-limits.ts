/** Target chunk size by default (`TTS_CHUNK_CHARS`), in speech-weighted characters. */
export const DEFAULT_CHUNK_CHARS = 1500;

/**
 * No chunk is ever longer than this, whatever `TTS_CHUNK_CHARS` says: Gemini TTS truncates or
 * drifts on longer inputs.
 */
export const CHUNK_CAP_CHARS = 2000;

/** The smallest target accepted: below it, chunks would cut most sentences. */
export const MIN_CHUNK_CHARS = 200;

/**
 * Paragraphs up to this weight (dialogue lines, headings inside a chapter) may share a chunk with
 * their tiny neighbours: the API bills per call, and a call per line of dialogue is wasteful.
 */
export const TINY_PARAGRAPH_CHARS = 240;
