/**
 * Commands as printed hints name them: the npm scripts, which work in any checkout (`tts-batch`
 * is on the PATH only after `npm link` or a global install); flags after `--`, as npm wants.
 */
export const HINT = {
  resume: 'npm run resume',
  status: 'npm run status',
  enqueue: 'npm run enqueue -- <file>',
  retry: (run: string) => `npm run retry -- --run ${run}`,
  budget: (run: string) => `npm run budget -- --run ${run} --usd N`,
} as const;
