import type { Settings } from '../settings.js';
import type { DryRun } from './dry-run.js';
import { formatEstimate } from './estimate.js';

const count = (value: number) => value.toLocaleString('en-US');
const rowsOf = (value: number) => `${count(value)} row${value === 1 ? '' : 's'}`;
const usd = (value: number) => `$${value.toFixed(value < 1 ? 4 : 2)}`;
/** Voices listed by name; the rest summed on one line. */
const VOICES_LISTED = 8;

/** The lines comparing the script with the run (or saying why there was no comparison). */
function comparisonLines(dry: DryRun, outDir: string): string[] {
  if ('unreachable' in dry.rows) {
    return [`compared with the run: could not (${dry.rows.unreachable}); every valid row counted as billed`];
  }
  const rows = dry.rows.compared;
  return [
    `compared with the run in Redis and ${outDir}:`,
    `  new:           ${count(rows.new)} (not in the run: billed)`,
    `  changed:       ${count(rows.changed)} (content differs from the run's: billed)`,
    `  done:          ${count(rows.done)} (same content completed, audio there: not billed${rows.adopted > 0 ? `; ${count(rows.adopted)} of them adopted from the output directory` : ''})`,
    ...(rows.queued > 0
      ? [
          `  queued:        ${count(rows.queued)} (same content, job already queued: not added again, not counted below)`,
        ]
      : []),
    ...(rows.again > 0
      ? [`  again:         ${count(rows.again)} (same content, but no job and no audio: billed again)`]
      : []),
    `  removed:       ${count(rows.removed)} (no longer in the script: dropped from the run)`,
  ];
}

function observedLines(dry: DryRun): string[] {
  const { observed, estimate } = dry;
  if (observed?.costPerRowUsd === undefined) return [];
  const whose = observed.source === 'run' ? "this run's" : `the fleet's (${count(observed.runs)} runs)`;
  return [
    `observed cost:   ${usd(observed.costPerRowUsd * estimate.rows)} for ${rowsOf(estimate.rows)} at ${usd(observed.costPerRowUsd)} a row (what ${whose} ${count(observed.rowsDone)} rows done cost)`,
  ];
}

function voiceLines(dry: DryRun): string[] {
  const listed = dry.voices.slice(0, VOICES_LISTED).map((v) => `  ${v.model} ${v.voice}: ${rowsOf(v.rows)}`);
  const rest = dry.voices.slice(VOICES_LISTED).reduce((sum, v) => sum + v.rows, 0);
  return [
    'rows by model and voice:',
    ...listed,
    ...(rest > 0 ? [`  ${count(dry.voices.length - VOICES_LISTED)} more: ${rowsOf(rest)}`] : []),
  ];
}

/** The dry run as printed: the comparison, the estimate of the billed rows, audio, voices, observed cost. */
export function formatDryRun(
  dry: DryRun,
  scriptRows: number,
  outDir: string,
  settings: Pick<Settings, 'pricesUsd' | 'segmindRpm' | 'concurrency'>,
): string {
  const rates =
    dry.learnedRates > 0
      ? `the fleet's learned speaking rate for ${count(dry.learnedRates)} model and voice${dry.learnedRates === 1 ? '' : 's'}, else ~${dry.priorCharsPerSecond} chars/s`
      : `~${dry.priorCharsPerSecond} speech-weighted chars/s, no rate learned yet`;
  return [
    ...comparisonLines(dry, outDir),
    formatEstimate(dry.estimate, settings, scriptRows),
    ...observedLines(dry),
    `expected audio:  ~${(dry.audioS / 60).toFixed(1)} min (${rates})`,
    ...(dry.voices.length > 0 ? voiceLines(dry) : []),
  ].join('\n');
}
