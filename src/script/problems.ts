import { UsageError } from '../errors.js';

/** One thing wrong with a script, at the line where its row starts. */
export type Problem = {
  /** 1-based line in the script file. */
  readonly line: number;
  /** The field (column) at fault, or `row`, `header`, `csv`, `json`, `encoding`, `file`. */
  readonly field: string;
  readonly message: string;
};

/** How many problems are printed; the rest are counted. */
export const MAX_PRINTED_PROBLEMS = 100;

const MAX_VALUE_CHARS = 40;

/** JSON of a non-string value; a deeply nested one (hostile JSONL) overflows the stack, and is named instead. */
function serialized(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return Array.isArray(value) ? '[…]' : '{…}';
  }
}

/** A value for a message: JSON-quoted so that whitespace and control characters show, and truncated. */
export function showValue(value: unknown): string {
  const text = typeof value === 'string' ? value : serialized(value);
  const cut = [...text.slice(0, MAX_VALUE_CHARS * 2)].slice(0, MAX_VALUE_CHARS).join('');
  const shown = cut.length < text.length ? `${cut}…` : cut;
  return `\`${JSON.stringify(shown).slice(1, -1)}\``;
}

export function formatProblem(file: string, problem: Problem): string {
  return `${file}:${problem.line}: ${problem.field}: ${problem.message}`;
}

/**
 * Problems found in a script, printed in line order as `file:line: field: message`, capped at
 * MAX_PRINTED_PROBLEMS with a count of the rest. Nothing has been enqueued when it is thrown.
 */
export class ScriptError extends UsageError {
  constructor(
    readonly file: string,
    readonly problems: readonly Problem[],
    /** Problems found beyond those kept in `problems`. */
    readonly moreCount = 0,
  ) {
    super(formatProblems(file, problems, moreCount));
  }
}

export function formatProblems(file: string, problems: readonly Problem[], moreCount = 0): string {
  const sorted = [...problems].sort((a, b) => a.line - b.line);
  const shown = sorted.slice(0, MAX_PRINTED_PROBLEMS);
  const rest = sorted.length - shown.length + moreCount;
  const lines = shown.map((problem) => formatProblem(file, problem));
  if (rest > 0) lines.push(`... and ${rest} more problem${rest === 1 ? '' : 's'}`);
  return lines.join('\n');
}

/** A problem that ends reading the script at once (bad encoding, malformed CSV, ...). */
export function fatal(file: string, line: number, field: string, message: string): ScriptError {
  return new ScriptError(file, [{ line, field, message }]);
}
