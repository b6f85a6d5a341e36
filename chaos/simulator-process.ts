import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { Ledger } from '../src/simulator/ledger.js';
import { freePort } from '../test/helpers/redis.js';

export type SimulatorProcess = {
  readonly url: string;
  ledger(): Promise<Ledger>;
  stop(): Promise<void>;
};

/**
 * The simulator as its own process (`tts-batch simulator`), as the real API is: its event loop
 * is not slowed by the runner spawning and killing workers.
 */
export async function startSimulatorProcess(args: readonly string[]): Promise<SimulatorProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['bin/tts-batch.js', 'simulator', '--port', String(port), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes('listening')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`simulator exited with ${code}: ${output}`)));
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    async ledger() {
      return (await (await fetch(`${url}/_sim/ledger`)).json()) as Ledger;
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
