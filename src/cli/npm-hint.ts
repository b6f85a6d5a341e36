/**
 * A command line as a user of this checkout types it: `npm run <script>`, with `--` before the
 * first flag (npm keeps flags written before `--` for itself). Printed hints use this form, since
 * `tts-batch` is on the PATH only after `npm link` or a global install.
 */
export function npmCommand(script: string, args: readonly string[] = []): string {
  const firstFlag = args.findIndex((arg) => arg.startsWith('-'));
  const words = firstFlag === -1 ? [...args] : [...args.slice(0, firstFlag), '--', ...args.slice(firstFlag)];
  return ['npm run', script, ...words].join(' ');
}
