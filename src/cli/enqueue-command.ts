import type { Command } from './context.js';

// Placeholder until the enqueue command lands; it fails loudly rather than pretending to work.
export const runEnqueueCommand: Command = async (_argv, context) => {
  await Promise.resolve();
  context.stderr.write('tts-batch enqueue: not implemented yet\n');
  return 1;
};
