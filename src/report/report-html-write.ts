import { join } from 'node:path';
import { writeFileAtomic } from '../output/run-files.js';
import { renderReportHtml } from './report-html.js';
import { makeReportSummary } from './report-html-summary.js';
import { writeRunManifests, type RunManifests, type RunManifestsInput } from './run-manifests.js';

export type RunReport = RunManifests & {
  /** Where the morning report was written. */
  readonly reportPath: string;
};

/**
 * Writes a run's manifest.json and manifest.csv, and report.html from the same pass over the
 * entries (each file atomic: it appears whole or not at all).
 */
export async function writeRunReport(
  input: RunManifestsInput & { readonly nowMs: number },
): Promise<RunReport> {
  const summary = makeReportSummary();
  const manifests = await writeRunManifests({ ...input, onEntry: (entry) => summary.add(entry) });
  const html = renderReportHtml({
    run: input.run,
    outDir: input.outDir,
    generatedAtMs: input.nowMs,
    summary: summary.result(),
    pending: manifests.pending.length + manifests.unlined.length,
    missingFiles: manifests.missingFiles.length,
  });
  await writeFileAtomic(input.outDir, 'report.html', html);
  return { ...manifests, reportPath: join(input.outDir, 'report.html') };
}
