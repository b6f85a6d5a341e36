import type { Command } from './context.js';

// Placeholder until the worker command lands; it fails loudly rather than pretending to work.
export const runWorkerCommand: Command = async (_argv, context) => {
  await Promise.resolve();
  context.stderr.write('tts-batch worker: not implemented yet\n');
  return 1;
};
