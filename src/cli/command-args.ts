import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors.js';
import type { CliContext, Command } from './context.js';
import { npmEatenFlags, npmEatenFlagsError, npmEatenFlagsNote } from './npm-eaten-flags.js';

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** What `parseArgs` is told about a command's flags, beyond the `-h`/`--help` that every command has. */
type ArgsConfig<T extends OptionsConfig, P extends boolean> = {
  readonly options?: T;
  readonly allowPositionals?: P;
};

const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;

/** A command's command line as `parseArgs` returns it for that config. */
type ParsedCommandArgs<T extends OptionsConfig, P extends boolean> = ReturnType<
  typeof parseArgs<{ args: string[]; options: T & typeof HELP_OPTION; strict: true; allowPositionals: P }>
>;

/**
 * A command with the flag handling all commands share: flags are parsed strictly, and an unknown
 * or malformed flag is a UsageError (exit 2) carrying the help; `-h`/`--help` prints the help to
 * stdout and exits 0. Flags that npm kept for itself (written before `--` in `npm run X`) are
 * honoured when their value is certain and refused (exit 2) when npm passed it on as a stray
 * argument (see npm-eaten-flags.ts). Otherwise `run` gets the parsed command line.
 */
export function defineCommand<
  const T extends OptionsConfig = Record<never, never>,
  const P extends boolean = false,
>(
  help: string,
  config: ArgsConfig<T, P>,
  run: (parsed: ParsedCommandArgs<T, P>, context: CliContext) => Promise<number>,
): Command {
  return async (argv, context) => {
    const eaten = npmEatenFlags(config.options ?? {}, context.env);
    if (eaten !== undefined && eaten.refused.length > 0)
      throw npmEatenFlagsError(eaten, config.allowPositionals === true);
    let parsed;
    try {
      parsed = parseArgs({
        args: [...argv],
        options: { ...config.options, ...HELP_OPTION },
        strict: true,
        allowPositionals: config.allowPositionals ?? false,
      });
    } catch (error) {
      throw new UsageError(`${(error as Error).message}\n\n${help}`, { cause: error });
    }
    if (parsed.values.help) {
      context.stdout.write(help);
      return 0;
    }
    if (eaten !== undefined) {
      context.stderr.write(npmEatenFlagsNote(eaten, config.allowPositionals === true));
      // The flags typed after `--` win over those npm kept.
      parsed = { ...parsed, values: { ...eaten.honoured, ...parsed.values } };
    }
    return run(parsed as ParsedCommandArgs<T, P>, context);
  };
}
