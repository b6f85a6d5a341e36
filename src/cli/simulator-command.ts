import type { Command } from './context.js';

// Placeholder until the simulator command lands; it fails loudly rather than pretending to work.
export const runSimulatorCommand: Command = async (_argv, context) => {
  await Promise.resolve();
  context.stderr.write('tts-batch simulator: not implemented yet\n');
  return 1;
};
