import { statSync } from 'node:fs';
import { readDotEnvValue } from '../settings.js';

const KEY_NAME = 'SEGMIND_API_KEY';

/**
 * The worker's Segmind key. A key that came from `.env` follows the file: a new key written there
 * is used for the calls that follow (so that a worker halted by a refused key goes on after
 * `resume` without a restart). A key from the environment wins over `.env`, as at start, and
 * cannot change without a restart.
 */
export type ApiKeySource = {
  /** The key calls are sent with now. */
  current(): string;
  /** Reads `.env` again when the key follows it and the file changed; true when the key changed. */
  reload(): boolean;
  /** Whether the key came from `.env` and follows it. */
  readonly followsDotEnv: boolean;
};

export type ApiKeySourceOptions = {
  /** The key the worker started with (from the environment, which `.env` had filled in). */
  readonly key: string;
  /** The `.env` the process read at start; undefined: the key never changes. */
  readonly dotEnvPath?: string | undefined;
  /** Told of a new key before it is used (the logger scrubs it from then on). */
  readonly onNewKey?: (key: string) => void;
};

export function makeApiKeySource(options: ApiKeySourceOptions): ApiKeySource {
  const { dotEnvPath } = options;
  const readFile = (): string | undefined => {
    if (dotEnvPath === undefined) return undefined;
    try {
      return readDotEnvValue(dotEnvPath, KEY_NAME);
    } catch {
      // Unreadable for a moment (being rewritten, permissions): keep the key in use.
      return undefined;
    }
  };
  // The key came from `.env` when the file holds it (the environment wins over the file).
  const followsDotEnv = readFile() === options.key;
  let key = options.key;
  let version = fileVersion(dotEnvPath);
  return {
    followsDotEnv,
    current: () => key,
    reload() {
      if (!followsDotEnv) return false;
      // A stat per call, the file only when it changed.
      const seen = fileVersion(dotEnvPath);
      if (seen === version) return false;
      version = seen;
      const fresh = readFile();
      if (fresh === undefined || fresh === key) return false;
      options.onNewKey?.(fresh);
      key = fresh;
      return true;
    },
  };
}

function fileVersion(path: string | undefined): string {
  if (path === undefined) return '';
  try {
    const stat = statSync(path, { bigint: true });
    return `${stat.ino}:${stat.size}:${stat.mtimeNs}`;
  } catch {
    return 'missing';
  }
}
