import type { ManifestEntry } from '../../src/output/manifest-entry.js';

/** A completed row's manifest entry with plausible values; tests override what they look at. */
export function manifestEntryFixture(
  overrides: Partial<ManifestEntry> & Pick<ManifestEntry, 'id'>,
): ManifestEntry {
  return {
    line: 2,
    seq: 0,
    status: 'completed',
    file: `${overrides.id}.wav`,
    bytes: 10,
    duration_s: 1,
    audio_sha256: 'a',
    text_sha256: 't',
    chars: 5,
    model: 'gemini-3.1-flash-tts',
    voice_1: 'Kore',
    voice_2: null,
    temperature: 0.4,
    request_id: 'r',
    submits: 1,
    attempts: 1,
    inference_time_s: 1,
    cost: 0.0067,
    error: null,
    finished_at: '2026-11-21T00:00:00.000Z',
    calls: 3,
    resubmit_reasons: [],
    content_hash: 'h',
    metadata: {},
    ...overrides,
  };
}
