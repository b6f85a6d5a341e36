/**
 * What is known of the Gemini TTS models served by Segmind (see shared/design/segmind-v2.md).
 * Prices are typical per-call prices read from Segmind's model pages, 2026-11; override them
 * with the `SEGMIND_PRICES` setting.
 */
export const MODEL_SLUGS = ['gemini-3.1-flash-tts', 'gemini-2.5-flash-tts'] as const;
export type ModelSlug = (typeof MODEL_SLUGS)[number];

/** The 30 Gemini prebuilt voices. */
export const GEMINI_VOICES = [
  'Zephyr',
  'Puck',
  'Charon',
  'Kore',
  'Fenrir',
  'Leda',
  'Orus',
  'Aoede',
  'Callirrhoe',
  'Autonoe',
  'Enceladus',
  'Iapetus',
  'Umbriel',
  'Algieba',
  'Despina',
  'Erinome',
  'Algenib',
  'Rasalgethi',
  'Laomedeia',
  'Achernar',
  'Alnilam',
  'Schedar',
  'Gacrux',
  'Pulcherrima',
  'Achird',
  'Zubenelgenubi',
  'Vindemiatrix',
  'Sadachbia',
  'Sadaltager',
  'Sulafat',
] as const;
export type GeminiVoice = (typeof GEMINI_VOICES)[number];

export type ModelInfo = {
  readonly slug: ModelSlug;
  /** Voices Segmind documents for this model. */
  readonly documentedVoices: readonly GeminiVoice[];
  readonly defaultVoice: GeminiVoice;
  /** Typical end-to-end latency of a ~200-character request, in seconds. */
  readonly typicalLatencyS: number;
  /** Typical price of one call, USD. */
  readonly pricePerCallUsd: number;
};

export const PRICE_SOURCE = 'Segmind model pages (typical cost per call), read 2026-11';

export const MODELS = {
  'gemini-3.1-flash-tts': {
    slug: 'gemini-3.1-flash-tts',
    documentedVoices: ['Kore', 'Puck', 'Charon', 'Aoede', 'Fenrir', 'Zephyr'],
    defaultVoice: 'Kore',
    typicalLatencyS: 8,
    pricePerCallUsd: 0.0067,
  },
  'gemini-2.5-flash-tts': {
    slug: 'gemini-2.5-flash-tts',
    documentedVoices: GEMINI_VOICES,
    defaultVoice: 'Zephyr',
    typicalLatencyS: 18,
    pricePerCallUsd: 0.005,
  },
} as const satisfies Record<ModelSlug, ModelInfo>;

export const DEFAULT_MODEL: ModelSlug = 'gemini-3.1-flash-tts';
export const DEFAULT_TEMPERATURE = 0.4;

export function isModelSlug(value: string): value is ModelSlug {
  return (MODEL_SLUGS as readonly string[]).includes(value);
}

export function isGeminiVoice(value: string): value is GeminiVoice {
  return (GEMINI_VOICES as readonly string[]).includes(value);
}

/** The Gemini voice `value` names in another case (`puck`: `Puck`), for a "did you mean". */
export function voiceInOtherCase(value: string): GeminiVoice | undefined {
  return GEMINI_VOICES.find((known) => known.toLowerCase() === value.toLowerCase());
}
