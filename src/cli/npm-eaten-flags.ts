import { UsageError } from '../errors.js';

type FlagConfig = { readonly type: 'string' | 'boolean'; readonly multiple?: boolean | undefined };

/** What npm did with a command's flags written before `--` (see npmEatenFlags). */
export type NpmEatenFlags = {
  /** Flags npm kept whose value is certain: `--dry-run`, `--run=book`. Name -> value. */
  readonly honoured: Readonly<Record<string, string | boolean | readonly string[]>>;
  /** Flags npm kept whose value it passed on as a stray argument (`--run book`): refused. */
  readonly refused: readonly string[];
  /** The npm script that ran the command (`enqueue`, `tts-batch`, ...). */
  readonly script: string;
};

/** The npm scripts of this package that run the CLI (see package.json). */
const CLI_SCRIPT = /(?:^|\s)(?:bin\/tts-batch\.js|workers\/worker\.ts)(?:\s|$)/;

/**
 * `npm run enqueue jobs.csv --dry-run` (no `--`) never passes `--dry-run` on: npm takes every
 * flag before `--` as its own config, sets `npm_config_dry_run=true` in the script's environment
 * and drops the flag. `--run book` becomes `npm_config_run=true` plus a stray argument `book`;
 * `--run=book` becomes `npm_config_run=book`. This reads the command's own flags back from there,
 * only when the command was started by one of this package's npm scripts. Undefined otherwise.
 */
export function npmEatenFlags(
  options: Readonly<Record<string, FlagConfig>>,
  env: Readonly<Record<string, string | undefined>>,
): NpmEatenFlags | undefined {
  const script = env['npm_lifecycle_event'];
  if (script === undefined || !CLI_SCRIPT.test(env['npm_lifecycle_script'] ?? '')) return undefined;
  const honoured: Record<string, string | boolean | readonly string[]> = {};
  const refused: string[] = [];
  for (const [name, config] of Object.entries(options)) {
    const value = env[`npm_config_${name.replaceAll('-', '_')}`];
    if (value === undefined || value === '') continue;
    if (config.type === 'boolean') {
      if (value === 'true') honoured[name] = true;
      else if (value !== 'false') refused.push(name);
    } else if (value === 'true') {
      refused.push(name);
    } else {
      honoured[name] = config.multiple === true ? [value] : value;
    }
  }
  if (refused.length === 0 && Object.keys(honoured).length === 0) return undefined;
  return { honoured, refused, script };
}

const flagList = (names: readonly string[]) => names.map((name) => `\`--${name}\``).join(', ');

/** The refusal of flags npm kept with their values lost: exit 2, nothing done. */
export function npmEatenFlagsError(eaten: NpmEatenFlags, takesArguments: boolean): UsageError {
  const flags = [
    ...(takesArguments ? ['<arguments>'] : []),
    ...eaten.refused.map((name) => `--${name} <value>`),
  ].join(' ');
  return new UsageError(
    `npm kept ${flagList(eaten.refused)} for itself and passed the value on as a stray argument ` +
      `(npm takes every flag written before \`--\`); nothing was done. Put \`--\` before the flags: ` +
      `npm run ${eaten.script} -- ${flags}`,
  );
}

/** The note printed when flags npm kept are honoured. */
export function npmEatenFlagsNote(eaten: NpmEatenFlags, takesArguments: boolean): string {
  const names = Object.keys(eaten.honoured);
  const typed = takesArguments ? '<arguments> <flags>' : '<flags>';
  return (
    `note: npm kept ${flagList(names)} for itself (it takes every flag written before \`--\`); ` +
    `honoured as the command's own. Write \`npm run ${eaten.script} -- ${typed}\` to pass flags on.\n`
  );
}
