/**
 * ACX's audio submission requirements, as data: what every mastered file is measured against
 * (acx-report.json) and what mastering aims at. Levels are dBFS of a full-scale square wave
 * (0 dBFS = every sample at ±1.0), as ffmpeg's `astats` reports them.
 */
export const ACX_SPEC = {
  /** RMS of the whole file, room tone included. */
  rmsDbfs: { min: -23, max: -18 },
  /** Sample peak (the largest decoded sample), not true peak: see README "Mastering for ACX". */
  peakDbfs: { max: -3 },
  /** RMS of the quietest 500 ms window. */
  noiseFloorDbfs: { max: -60 },
  headRoomToneS: { min: 0.5, max: 1 },
  tailRoomToneS: { min: 1, max: 5 },
  /** Each file holds one chapter of at most two hours. */
  lengthS: { max: 120 * 60 },
  /** ACX takes 192 kbps or more; mastering writes exactly 192, and the report holds it to that. */
  bitrateKbps: 192,
  sampleRateHz: 44_100,
} as const;

/** What mastering aims at, inside ACX's bounds with room for the limiter and the MP3 codec. */
export const ACX_TARGET = {
  rmsDbfs: -20,
  /** The limiter's ceiling: the MP3 round trip can raise a sample peak by a few tenths of a dB. */
  limiterCeilingDbfs: -4,
  headRoomToneMs: 750,
  tailRoomToneMs: 2500,
  /** A 10 ms block whose RMS is above this is sound; room tone is the blocks at or below it. */
  soundThresholdDbfs: -50,
  /** The window of the noise floor. */
  noiseWindowMs: 500,
  /** Lowest level reported: digital silence (every sample 0) has no finite level. */
  floorDbfs: -150,
} as const;

/** The mastering profiles `--master` / `TTS_MASTER` accept. */
export const MASTER_PROFILES = ['acx'] as const;
export type MasterProfile = (typeof MASTER_PROFILES)[number];

export function isMasterProfile(value: string): value is MasterProfile {
  return (MASTER_PROFILES as readonly string[]).includes(value);
}
