import { access, constants } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { ConfigError } from '../errors.js';
import { runFfmpeg } from './ffmpeg-process.js';

/** Where the ffmpeg in use came from, in the order they are tried. */
export type FfmpegSource = 'TTS_FFMPEG' | 'PATH' | 'npm';

/** An ffmpeg that ran `-version` here. */
export type Ffmpeg = {
  /** Absolute path (or the path `TTS_FFMPEG` gave). */
  readonly path: string;
  readonly source: FfmpegSource;
  /** As its `-version` prints it, e.g. `5.1.9-0+deb12u1`. */
  readonly version: string;
};

/** The npm package whose per-platform packages ship an ffmpeg binary inside them (optional dependency). */
export const FFMPEG_NPM_PACKAGE = '@ffmpeg-installer/ffmpeg';

export type LocateOptions = {
  /** `TTS_FFMPEG` (settings.ffmpegPath): used if set, refused if it does not run. */
  readonly configuredPath: string | undefined;
  /** The search path for `ffmpeg` (the caller passes the environment's `PATH`). */
  readonly searchPath: string | undefined;
  /** Finds the npm package's binary; undefined when the package is not installed. */
  readonly packagedPath?: () => string | undefined;
};

const VERSION_TIMEOUT_MS = 15_000;

/** The version an ffmpeg binary reports, or undefined when it does not run. */
export async function ffmpegVersion(path: string): Promise<string | undefined> {
  try {
    const out = await runFfmpeg(path, ['-hide_banner', '-version'], {
      signal: AbortSignal.timeout(VERSION_TIMEOUT_MS),
    });
    const match = /^ffmpeg version (\S+)/m.exec(out.toString('utf8'));
    return match?.[1];
  } catch {
    return undefined;
  }
}

async function onSearchPath(searchPath: string | undefined): Promise<string | undefined> {
  const names = process.platform === 'win32' ? ['ffmpeg.exe', 'ffmpeg'] : ['ffmpeg'];
  for (const folder of (searchPath ?? '').split(delimiter)) {
    if (folder === '') continue;
    for (const name of names) {
      const candidate = join(folder, name);
      try {
        await access(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/**
 * The binary inside `@ffmpeg-installer/<platform>-<arch>`, resolved from the meta package so that
 * a nested (not hoisted) install is found too. Its postinstall (`chmod u+x`) is not needed: the
 * tarball already carries the executable bit, and npm here does not run install scripts.
 */
export function npmPackagedFfmpeg(): string | undefined {
  const require = createRequire(import.meta.url);
  const platformPackage = `@ffmpeg-installer/${process.platform}-${process.arch}/package.json`;
  const binary = process.platform === 'win32' ? 'ffmpeg.exe' : 'ffmpeg';
  try {
    const meta = require.resolve(`${FFMPEG_NPM_PACKAGE}/package.json`);
    return join(dirname(createRequire(meta).resolve(platformPackage)), binary);
  } catch {
    return undefined;
  }
}

/**
 * Finds an ffmpeg that runs: `TTS_FFMPEG` if set (a `ConfigError` if it does not run), else
 * `ffmpeg` on the search path, else the npm package's binary. Undefined when there is none: the
 * caller writes the fallback (see `fallbackCommand`).
 */
export async function locateFfmpeg(options: LocateOptions): Promise<Ffmpeg | undefined> {
  if (options.configuredPath !== undefined) {
    const version = await ffmpegVersion(options.configuredPath);
    if (version === undefined) {
      throw new ConfigError(
        'TTS_FFMPEG',
        `Expected \`TTS_FFMPEG\` to be an ffmpeg that runs (\`${options.configuredPath} -version\`), got \`${options.configuredPath}\``,
      );
    }
    return { path: options.configuredPath, source: 'TTS_FFMPEG', version };
  }
  const onPath = await onSearchPath(options.searchPath);
  const onPathVersion = onPath === undefined ? undefined : await ffmpegVersion(onPath);
  if (onPath !== undefined && onPathVersion !== undefined)
    return { path: onPath, source: 'PATH', version: onPathVersion };
  const packaged = (options.packagedPath ?? npmPackagedFfmpeg)();
  const packagedVersion = packaged === undefined ? undefined : await ffmpegVersion(packaged);
  if (packaged !== undefined && packagedVersion !== undefined) {
    return { path: packaged, source: 'npm', version: packagedVersion };
  }
  return undefined;
}
