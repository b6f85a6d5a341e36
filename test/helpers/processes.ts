import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export type SpawnedWorker = {
  readonly child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  kill(signal: NodeJS.Signals): Promise<void>;
};

/** Starts `npm run worker`'s entry point as its own process with `env`. */
export function spawnWorker(
  env: Readonly<Record<string, string>>,
  args: readonly string[] = [],
): SpawnedWorker {
  const child = spawn(process.execPath, ['--import', 'tsx', 'workers/worker.ts', ...args], {
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  return {
    child,
    output: () => chunks.join(''),
    async kill(signal) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill(signal);
      await exited;
    },
  };
}

/** Waits (bounded) until `check` holds, testing it every `everyMs`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  tries = 3000,
  everyMs = 50,
): Promise<void> {
  for (let i = 0; i < tries; i += 1) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** The run's manifest.json entries once it exists with `rows` entries, else undefined. */
export function finishedManifest(outDir: string, rows: number): Record<string, unknown>[] | undefined {
  const path = join(outDir, 'manifest.json');
  if (!existsSync(path)) return undefined;
  const entries = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>[];
  return entries.length === rows ? entries : undefined;
}
