import { basename, extname } from 'node:path';
import { UsageError } from '../errors.js';
import { isSafeName, NAME_RULE } from '../script/row-id.js';

/** The default run name: the script's base name without extension, reduced to the id alphabet. */
export function defaultRunName(file: string): string {
  const name = basename(file, extname(file))
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^\.+/, '')
    .slice(0, 128);
  return name === '' ? 'run' : name;
}

/** A run name given with `--run`: the rule of row ids, so that it is one safe path segment. */
export function checkRunName(name: string): string {
  if (!isSafeName(name)) {
    throw new UsageError(`Expected \`--run\` to be ${NAME_RULE}, got \`${name}\``);
  }
  return name;
}
