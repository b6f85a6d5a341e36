import type { CallKind } from './faults.js';
import type { LedgerStore } from './ledger.js';
import type { SimulatorOptions } from './options.js';

/** What every route handler of one running simulator shares. */
export type SimState = {
  readonly options: SimulatorOptions;
  /** `http://host:port`, no trailing slash: the prefix of every URL the simulator hands out. */
  readonly baseUrl: string;
  readonly ledger: LedgerStore;
  /** The ordinal (1, 2, ...) of this call of `kind` on `key`, for order-independent fault draws. */
  readonly nextCall: (kind: CallKind, key: string) => number;
};

export function statusUrl(state: SimState, id: string): string {
  return `${state.baseUrl}/v2/requests/${id}/status`;
}

export function responseUrl(state: SimState, id: string): string {
  return `${state.baseUrl}/v2/requests/${id}`;
}
