/**
 * A command line as a user of this checkout types it: `npm run <script>`, with `--` before the
 * arguments when there is a flag among them (npm keeps flags written before `--` for itself).
 * Printed hints use this form, since `tts-batch` is on the PATH only after `npm link` or a
 * global install.
 */
export function npmCommand(script: string, args: readonly string[] = []): string {
  const separator = args.some((arg) => arg.startsWith('-')) ? ['--'] : [];
  return ['npm run', script, ...separator, ...args].join(' ');
}
