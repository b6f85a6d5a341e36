import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors.js';

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** Parses a command's flags strictly; an unknown or malformed flag is a UsageError (exit 2) carrying the help. */
export function parseCommandArgs<const T extends OptionsConfig>(
  argv: readonly string[],
  options: T,
  help: string,
) {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${help}`, { cause: error });
  }
}
