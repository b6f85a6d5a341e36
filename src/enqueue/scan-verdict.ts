import { formatProblem, formatProblems } from '../script/problems.js';
import type { ScriptScan } from './scan-script.js';

/** What pass 1 found, as the command prints it (stderr), and whether the script is refused. */
export type ScanVerdict = {
  readonly messages: readonly string[];
  /** Refused whole: nothing is enqueued, exit 2. */
  readonly refused: boolean;
};

/** `1 row is`, `2 rows are`: a count with its noun (and verb) agreeing. */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}

/**
 * Warnings, then the verdict: a column that looks like a misspelled field refuses the script
 * whatever the flags (every row would take the default silently); invalid rows refuse it unless
 * `--skip-invalid` (and some row is valid).
 */
export function scanVerdict(
  scan: ScriptScan,
  shownFile: string,
  flags: { readonly skipInvalid: boolean; readonly metadataColumns: ReadonlySet<string> },
): ScanVerdict {
  const messages = scan.warnings.map((warning) => `warning: ${formatProblem(shownFile, warning)}`);
  for (const name of flags.metadataColumns) {
    if (!scan.metadataColumns.includes(name))
      messages.push(`warning: --metadata names \`${name}\`, which no row of ${shownFile} has`);
  }
  if (scan.columnProblems.length > 0) {
    messages.push(
      formatProblems(shownFile, scan.columnProblems, 0),
      `tts-batch enqueue: ${plural(scan.columnProblems.length, 'column looks', 'columns look')} like a misspelled field; nothing was enqueued (rename it, or pass --metadata with its name to carry it as metadata)`,
    );
    return { messages, refused: true };
  }
  if (scan.problemCount === 0) return { messages, refused: false };
  messages.push(formatProblems(shownFile, scan.problems, scan.problemCount - scan.problems.length));
  if (flags.skipInvalid && scan.validRows > 0) {
    messages.push(`tts-batch enqueue: skipping ${plural(scan.invalidRows, 'invalid row')} (--skip-invalid)`);
    return { messages, refused: false };
  }
  const hint =
    scan.validRows > 0
      ? ` (fix them, or run the same command with --skip-invalid to enqueue the ${plural(scan.validRows, 'valid row')})`
      : '';
  messages.push(
    `tts-batch enqueue: ${scan.invalidRows} of ${plural(scan.records, 'row is', 'rows are')} invalid; nothing was enqueued${hint}`,
  );
  return { messages, refused: true };
}
