import { ACX_CRITERIA, type AcxReport } from './acx-report.js';

const CSV_COLUMNS = [
  'file',
  'chapter',
  'title',
  'duration_s',
  'pass',
  ...ACX_CRITERIA.flatMap((name) => [name, `${name}_pass`]),
  'failures',
  // Last, so that the chapter columns keep their places: the row of a clip's master (runs without chapters).
  'row',
] as const;

function csvField(value: string | number | boolean): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** `acx-report.csv`: one line per file, each criterion's value and its pass, then the failures and the row. */
export function acxReportCsv(report: AcxReport): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const file of report.files) {
    const cells: (string | number | boolean)[] = [
      file.file,
      file.chapter ?? '',
      file.title,
      file.duration_s,
      file.pass,
    ];
    for (const name of ACX_CRITERIA)
      cells.push(file.criteria?.[name].value ?? '', file.criteria?.[name].pass ?? false);
    cells.push(file.failures.join('; '), file.row ?? '');
    lines.push(cells.map(csvField).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}
