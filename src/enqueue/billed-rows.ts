import { speechWeight } from '../book/speech-weight.js';
import { MODEL_SLUGS, type ModelSlug } from '../segmind/models.js';
import type { RowSpool } from './row-spool.js';
import type { ScriptScan } from './scan-script.js';
import { splitRowText } from './split-row.js';

/** Rows of one model and voice (a dialogue's: `voice_1 & voice_2`) that would be billed. */
export type VoiceRows = { readonly model: ModelSlug; readonly voice: string; readonly rows: number };

/** Speech-weighted characters of the billed rows of one model and first voice (whose speaking rate is learned). */
export type SpeechByVoice = { readonly model: ModelSlug; readonly voice: string; readonly weight: number };

/** What the rows that would be billed hold: counts for the estimate, voices, speech to expect. */
export type BilledRows = {
  readonly rows: number;
  readonly chars: number;
  readonly rowsByModel: Readonly<Record<ModelSlug, number>>;
  /** A request per row, one per part of a row sent in parts. */
  readonly requestsByModel: Readonly<Record<ModelSlug, number>>;
  /** Most rows first. */
  readonly voices: readonly VoiceRows[];
  readonly speech: readonly SpeechByVoice[];
};

const SPOOL_BATCH_ROWS = 1000;

/** Reads pass 1's rows back and tallies those flagged in `billed` (every valid row without it). */
export async function tallyBilledRows(
  spool: RowSpool,
  scan: ScriptScan,
  billed: Uint8Array | undefined,
  chunkChars: number,
  signal?: AbortSignal,
): Promise<BilledRows> {
  const rowsByModel = Object.fromEntries(MODEL_SLUGS.map((slug) => [slug, 0])) as Record<ModelSlug, number>;
  const requestsByModel = { ...rowsByModel };
  const voices = new Map<string, VoiceRows>();
  const speech = new Map<string, SpeechByVoice>();
  let rows = 0;
  let chars = 0;
  for await (const batch of spool.read(SPOOL_BATCH_ROWS)) {
    signal?.throwIfAborted();
    for (const row of batch) {
      if (!scan.index.isValid(row.seq) || (billed && billed[row.seq] !== 1)) continue;
      const { model, voice_1: voice1, voice_2: voice2, text } = row.request;
      rows += 1;
      chars += scan.index.chars(row.seq);
      rowsByModel[model] += 1;
      requestsByModel[model] += splitRowText(text, chunkChars)?.length ?? 1;
      const voice = voice2 === undefined ? voice1 : `${voice1} & ${voice2}`;
      const seen = voices.get(`${model} ${voice}`);
      voices.set(`${model} ${voice}`, { model, voice, rows: (seen?.rows ?? 0) + 1 });
      // The rate is learned per model and first voice (as the worker's clip check reads it).
      const spoken = speech.get(`${model} ${voice1}`);
      speech.set(`${model} ${voice1}`, {
        model,
        voice: voice1,
        weight: (spoken?.weight ?? 0) + speechWeight(text),
      });
    }
  }
  return {
    rows,
    chars,
    rowsByModel,
    requestsByModel,
    voices: [...voices.values()].sort((a, b) => b.rows - a.rows),
    speech: [...speech.values()],
  };
}
