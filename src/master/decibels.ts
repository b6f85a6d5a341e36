import { ACX_TARGET } from './acx-spec.js';

/** A level in dBFS from a mean square, digital silence reported as `ACX_TARGET.floorDbfs`. */
export function meanSquareDbfs(meanSquare: number): number {
  if (!(meanSquare > 0)) return ACX_TARGET.floorDbfs;
  return Math.max(ACX_TARGET.floorDbfs, 10 * Math.log10(meanSquare));
}
