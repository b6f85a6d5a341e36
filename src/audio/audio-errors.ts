import { TtsBatchError } from '../errors.js';

/**
 * A clip is MP3 and no `decode` was given to turn it into PCM: the caller finds ffmpeg, or falls
 * back (chapter WAVs left unjoined, the command to finish printed).
 */
export class NeedsFfmpeg extends TtsBatchError {
  override name = 'NeedsFfmpeg' as const;
  constructor(readonly file: string) {
    super(`Joining \`${file}\` needs ffmpeg to decode MP3`);
  }
}

/** An audio file that cannot be read as what it claims to be, or whose format does not fit the others. */
export class AudioFormatError extends TtsBatchError {
  override name = 'AudioFormatError' as const;
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
  }
}
