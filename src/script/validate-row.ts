import type { RowRequest } from '../queue/row-job.js';
import type { RowDefaults } from '../queue/run-meta.js';
import {
  GEMINI_VOICES,
  isGeminiVoice,
  isModelSlug,
  MODELS,
  voiceInOtherCase,
  type ModelSlug,
} from '../segmind/models.js';
import { showValue, type Problem } from './problems.js';
import { isSafeName, NAME_RULE } from './row-id.js';
import { KNOWN_FIELDS, type RawRecord, type ScriptRow } from './script-row.js';

export type ValidationContext = {
  /** Flags, then settings, then the model's own defaults. */
  readonly defaults: RowDefaults;
  /** Longest text accepted, in characters (TTS_MAX_CHARS). */
  readonly maxChars: number;
  /**
   * Columns the user declared metadata (`--metadata`): carried through even when their name is a
   * near miss of a field (`voice1`), which is otherwise refused as a likely typo.
   */
  readonly metadataColumns?: ReadonlySet<string>;
  /** How a book given as the script is chunked (TTS_CHUNK_CHARS; default: the import default). */
  readonly chunkChars?: number;
};

/** A voice accepted without being documented for the row's model (3.1 documents 6 of 30). */
export type VoiceWarning = { readonly line: number; readonly model: ModelSlug; readonly voice: string };

export type Validation =
  | { readonly ok: true; readonly row: ScriptRow; readonly warnings: readonly VoiceWarning[] }
  | { readonly ok: false; readonly problems: readonly Problem[] };

const KNOWN: ReadonlySet<string> = new Set(KNOWN_FIELDS);

const LOW_SURROGATE = /[\uDC00-\uDFFF]/;

/** Characters as users count them: Unicode code points, not UTF-16 units. */
export function countChars(text: string): number {
  if (!LOW_SURROGATE.test(text)) return text.length;
  let surrogates = 0;
  for (let at = 0; at < text.length; at += 1) {
    const code = text.charCodeAt(at);
    if (code >= 0xdc00 && code <= 0xdfff) surrogates += 1;
  }
  return text.length - surrogates;
}

/**
 * C0 controls other than tab and line breaks, and DEL: never spoken, invisible in a spreadsheet,
 * and a terminal runs them (ESC). They mean a corrupted or hostile script, so the row is refused.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

/** Why `value` is refused for a control character, or undefined. */
export function controlCharProblem(value: string): string | undefined {
  const match = CONTROL_CHAR.exec(value);
  if (match === null) return undefined;
  const code = match[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
  return `control character U+${code} at character ${match.index + 1}; only tab and line breaks are allowed (starts ${showValue(value)})`;
}

function kindOf(value: unknown): string {
  return Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`;
}

/**
 * One record under validation and what is wrong with it so far. The helpers below take it as an
 * argument rather than closing over it: validation runs once per row of a million-row script.
 */
type Check = { readonly record: RawRecord; readonly problems: Problem[] };

function problem(check: Check, field: string, message: string): void {
  check.problems.push({ line: check.record.line, field, message });
}

/** A string field: CSV cells and JSON strings, trimmed; absent when empty or null. */
function stringField(check: Check, field: string, numbersAllowed = false): string | undefined {
  const value = check.record.fields.get(field);
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && numbersAllowed && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') {
    problem(check, field, `expected a string, got ${kindOf(value)} ${showValue(value)}`);
    return undefined;
  }
  const control = controlCharProblem(value);
  if (control !== undefined) {
    problem(check, field, control);
    return undefined;
  }
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** A voice field: absent, or one of the Gemini voices (with a suggestion for a wrong case). */
function voiceField(check: Check, field: 'voice_1' | 'voice_2'): string | undefined {
  const value = stringField(check, field);
  if (value === undefined || isGeminiVoice(value)) return value;
  const near = voiceInOtherCase(value);
  problem(
    check,
    field,
    `unknown voice ${showValue(value)}; ${near ? `did you mean \`${near}\`?` : `expected one of ${GEMINI_VOICES.join(', ')}`}`,
  );
  return undefined;
}

/** Validates one record into a ScriptRow, or lists everything wrong with it. */
export function validateRecord(record: RawRecord, context: ValidationContext): Validation {
  const problems: Problem[] = [...record.problems];
  const { line } = record;
  const check: Check = { record, problems };

  const rowText = stringField(check, 'text');
  let chars = 0;
  if (rowText === undefined) {
    if (!problems.some((item) => item.field === 'text' || item.field === 'json')) {
      problem(check, 'text', 'is empty; every row needs the text to speak');
    }
  } else {
    chars = countChars(rowText);
    // Rows over the chunk size (TTS_CHUNK_CHARS) are sent in parts and joined; this bound
    // (TTS_MAX_CHARS, a long book chapter by default) only catches a script read wrong, e.g. a
    // whole file in one cell.
    if (chars > context.maxChars) {
      problem(
        check,
        'text',
        `${chars} characters, more than the limit of ${context.maxChars} (TTS_MAX_CHARS); split the row (starts ${showValue(rowText)})`,
      );
    }
  }

  const id = stringField(check, 'id', true);
  if (id !== undefined && !isSafeName(id))
    problem(check, 'id', `${showValue(id)} is not a valid id (${NAME_RULE})`);

  const modelValue = stringField(check, 'model');
  if (modelValue !== undefined && !isModelSlug(modelValue)) {
    problem(
      check,
      'model',
      `unknown model ${showValue(modelValue)}; expected ${Object.keys(MODELS).join(' or ')}`,
    );
  }
  const model = modelValue !== undefined && isModelSlug(modelValue) ? modelValue : context.defaults.model;

  const voice1 = voiceField(check, 'voice_1') ?? context.defaults.voice_1 ?? MODELS[model].defaultVoice;
  const voice2 = voiceField(check, 'voice_2') ?? context.defaults.voice_2;
  if (voice2 !== undefined && voice2 === voice1) {
    problem(check, 'voice_2', `${showValue(voice2)} is also voice_1; a dialogue needs two different voices`);
  }

  let temperature = context.defaults.temperature;
  const rawTemperature = record.fields.get('temperature');
  if (typeof rawTemperature === 'number' || typeof rawTemperature === 'string') {
    const written = String(rawTemperature).trim();
    const value = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(written) ? Number(written) : Number.NaN;
    if (written === '') {
      // empty cell: the default
    } else if (!Number.isFinite(value) || value < 0 || value > 2) {
      problem(check, 'temperature', `expected a number in [0, 2], got ${showValue(rawTemperature)}`);
    } else {
      temperature = value;
    }
  } else if (rawTemperature !== undefined && rawTemperature !== null) {
    problem(check, 'temperature', `expected a number in [0, 2], got ${kindOf(rawTemperature)}`);
  }

  const metaEntries: [string, string][] = [];
  for (const [name, value] of record.fields) {
    if (KNOWN.has(name) || value === null || value === undefined) continue;
    const control = typeof value === 'string' ? controlCharProblem(value) : undefined;
    if (control !== undefined) {
      problem(check, name, control);
    } else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      metaEntries.push([name, String(value)]);
    } else {
      problem(check, name, `metadata must be a string, number or boolean, got ${kindOf(value)}`);
    }
  }

  if (problems.length > 0 || rowText === undefined) return { ok: false, problems };
  const request: RowRequest = {
    text: rowText,
    model,
    voice_1: voice1,
    ...(voice2 !== undefined ? { voice_2: voice2 } : {}),
    temperature,
  };
  const documented: readonly string[] = MODELS[model].documentedVoices;
  const warnings = [voice1, voice2]
    .filter((name): name is string => name !== undefined && !documented.includes(name))
    .map((name) => ({ line, model, voice: name }));
  // fromEntries, not assignment: a column named `__proto__` stays an ordinary field.
  const meta: Readonly<Record<string, string>> = Object.fromEntries(metaEntries);
  return { ok: true, row: { id, line, seq: record.seq, request, chars, meta }, warnings };
}
