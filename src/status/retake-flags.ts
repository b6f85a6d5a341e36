import { UsageError } from '../errors.js';
import type { RequestOverride, RowRequest } from '../queue/row-job.js';
import { parseTemperatureFlag } from '../enqueue/row-defaults.js';
import { GEMINI_VOICES, isGeminiVoice, MODELS, voiceInOtherCase } from '../segmind/models.js';

/** `--voice` and `--temperature` of `tts-batch retake`, as typed. */
export type RetakeFlags = {
  readonly voice?: string | undefined;
  readonly temperature?: string | undefined;
};

/** What the flags ask to change of the row's script request, checked as enqueue checks a row's voice_1 and temperature. */
export type CheckedRetakeFlags = {
  readonly change: RequestOverride;
  /** A voice the row's model does not document (accepted, as enqueue accepts it). */
  readonly warnings: readonly string[];
};

/**
 * Checks the flags against the row they are for (its model, its second voice). Throws UsageError
 * naming the flag and the value; nothing has been changed then.
 */
export function checkRetakeFlags(flags: RetakeFlags, request: RowRequest): CheckedRetakeFlags {
  const warnings: string[] = [];
  let voice: string | undefined;
  if (flags.voice !== undefined) {
    voice = flags.voice.trim();
    if (!isGeminiVoice(voice)) {
      const near = voiceInOtherCase(voice);
      throw new UsageError(
        `Expected \`--voice\` to be one of the Gemini voices (${near ? `did you mean \`${near}\`?` : GEMINI_VOICES.join(', ')}), got \`${flags.voice}\``,
      );
    }
    if (voice === request.voice_2) {
      throw new UsageError(
        `\`--voice\` \`${voice}\` is the row's voice_2; a dialogue needs two different voices`,
      );
    }
    const documented: readonly string[] = MODELS[request.model].documentedVoices;
    if (!documented.includes(voice)) {
      warnings.push(
        `\`${voice}\` is not among the voices Segmind documents for ${request.model} (${documented.join(', ')}); accepted, but the API may refuse it`,
      );
    }
  }
  const temperature = flags.temperature === undefined ? undefined : parseTemperatureFlag(flags.temperature);
  return {
    change: {
      ...(voice !== undefined ? { voice_1: voice } : {}),
      ...(temperature !== undefined ? { temperature } : {}),
    },
    warnings,
  };
}

/** True when flags ask for a change (even to the values the row has now: the person asked for that version). */
export function asksForChange(flags: RetakeFlags): boolean {
  return flags.voice !== undefined || flags.temperature !== undefined;
}
