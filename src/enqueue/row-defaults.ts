import { ConfigError, UsageError } from '../errors.js';
import type { RowDefaults } from '../queue/run-meta.js';
import {
  DEFAULT_MODEL,
  DEFAULT_TEMPERATURE,
  GEMINI_VOICES,
  isGeminiVoice,
  isModelSlug,
} from '../segmind/models.js';
import type { Settings } from '../settings.js';

/** The row-default flags of `enqueue`, as typed on the command line. */
export type DefaultFlags = {
  readonly model?: string | undefined;
  readonly voice?: string | undefined;
  readonly voice2?: string | undefined;
  readonly temperature?: string | undefined;
};

function checkVoice(value: string | undefined, name: string, fromFlag: boolean): string | undefined {
  if (value === undefined || isGeminiVoice(value)) return value;
  const message = `Expected \`${name}\` to be one of the Gemini voices (${GEMINI_VOICES.join(', ')}), got \`${value}\``;
  throw fromFlag ? new UsageError(message) : new ConfigError(name, message);
}

/** `--temperature T` (of enqueue, of retake): a number in [0, 2], else a UsageError naming it. */
export function parseTemperatureFlag(text: string): number {
  const value = /^\s*[+-]?(\d+\.?\d*|\.\d+)\s*$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= 0 && value <= 2))
    throw new UsageError(`Expected \`--temperature\` to be a number in [0, 2], got \`${text}\``);
  return value;
}

/** Row defaults: the flags, then the settings, then the model's own (voice_1 stays open until the row's model is known). */
export function resolveRowDefaults(
  flags: DefaultFlags,
  settings: Pick<Settings, 'defaultModel' | 'defaultVoice' | 'defaultVoice2' | 'defaultTemperature'>,
): RowDefaults {
  if (flags.model !== undefined && !isModelSlug(flags.model)) {
    throw new UsageError(
      `Expected \`--model\` to be gemini-3.1-flash-tts or gemini-2.5-flash-tts, got \`${flags.model}\``,
    );
  }
  const temperature =
    flags.temperature === undefined
      ? (settings.defaultTemperature ?? DEFAULT_TEMPERATURE)
      : parseTemperatureFlag(flags.temperature);
  const voice1 =
    checkVoice(flags.voice, '--voice', true) ?? checkVoice(settings.defaultVoice, 'TTS_VOICE', false);
  const voice2 =
    checkVoice(flags.voice2, '--voice2', true) ?? checkVoice(settings.defaultVoice2, 'TTS_VOICE2', false);
  return {
    model: flags.model ?? settings.defaultModel ?? DEFAULT_MODEL,
    voice_1: voice1,
    voice_2: voice2,
    temperature,
  };
}
