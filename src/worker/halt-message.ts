/**
 * What the operator reads when the fleet halts: the cause to fix and the command that goes on
 * (`npm run resume`, which works without `tts-batch` on the PATH).
 */
export function haltMessage(keyRefused: boolean, keyFollowsDotEnv: boolean): string {
  if (!keyRefused) {
    return 'The API refused the account or changed: queue halted. Fix the cause (see reason), then run `npm run resume`.';
  }
  if (keyFollowsDotEnv) {
    return 'The API refused the key: queue halted. Put a valid SEGMIND_API_KEY in .env (running workers read it again), then run `npm run resume`.';
  }
  return 'The API refused the key: queue halted. SEGMIND_API_KEY comes from the environment: restart the workers with a valid key, then run `npm run resume`.';
}
