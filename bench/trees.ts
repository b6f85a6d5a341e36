import { execFile } from 'node:child_process';
import { access, symlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { log, runTimed, type SpawnResult } from './common.js';

/** The code before issue "Paid once, nothing lost" (defects 13 and 14): the bench's "before". */
export const BASE_COMMIT = 'c0be8ef';

/** Where the worktree of BASE_COMMIT is kept (`BENCH_BASE_TREE` to use another one). */
export const BASE_TREE = process.env['BENCH_BASE_TREE'] ?? '/tmp/bench-base';

/** A checkout of the product whose CLI and worker the bench runs: "before" (BASE_COMMIT) or "after" (this tree). */
export type Tree = { readonly label: 'before' | 'after'; readonly root: string };

export const AFTER: Tree = { label: 'after', root: resolve('.') };
export const BEFORE: Tree = { label: 'before', root: BASE_TREE };

const run = promisify(execFile);

/**
 * Makes sure BASE_TREE is a worktree of BASE_COMMIT sharing this tree's node_modules (the
 * dependencies did not change since), creating it if it is missing.
 */
export async function ensureBaseTree(): Promise<Tree> {
  const exists = await access(join(BASE_TREE, 'package.json')).then(
    () => true,
    () => false,
  );
  if (!exists) {
    log(`git worktree add ${BASE_TREE} ${BASE_COMMIT}`);
    await run('git', ['worktree', 'add', '--detach', BASE_TREE, BASE_COMMIT]);
  }
  const { stdout } = await run('git', ['-C', BASE_TREE, 'rev-parse', 'HEAD']);
  const { stdout: wanted } = await run('git', ['rev-parse', BASE_COMMIT]);
  if (stdout.trim() !== wanted.trim())
    throw new Error(
      `bench: ${BASE_TREE} is at ${stdout.trim()}, not ${BASE_COMMIT}; remove it or set BENCH_BASE_TREE`,
    );
  await symlink(resolve('node_modules'), join(BASE_TREE, 'node_modules')).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  });
  return BEFORE;
}

/** Runs `tts-batch <args>` of `tree` as a child process, timed, its peak RSS sampled (see runTimed). */
export function treeCli(
  tree: Tree,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  timeoutMs: number,
): Promise<SpawnResult> {
  return runTimed('node', [join(tree.root, 'bin/tts-batch.js'), ...args], env, timeoutMs);
}
