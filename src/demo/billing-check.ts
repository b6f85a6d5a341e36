import type { Ledger } from '../simulator/ledger.js';

/** One manifest entry as far as billing goes (a row sent in parts: billed by its parts' texts). */
export type BilledEntry = {
  readonly id: string;
  readonly text_sha256: string;
  readonly submits: number;
  readonly parts?: readonly { readonly text_sha256: string; readonly submits: number }[];
};

export type BillingCheck = {
  readonly billed: number;
  readonly recorded: number;
  /** Rows whose text the simulator billed more often than their entries record. */
  readonly unrecorded: readonly string[];
};

/**
 * The product's promise, checked against the simulator's bill: for every text, the submissions
 * billed are at most the `submits` the manifest entries with that text record.
 */
export function checkBilling(ledger: Ledger, rows: readonly BilledEntry[]): BillingCheck {
  const entries = rows.flatMap((row) => row.parts?.map((part) => ({ ...part, id: row.id })) ?? [row]);
  const recorded = new Map<string, number>();
  for (const entry of entries)
    recorded.set(entry.text_sha256, (recorded.get(entry.text_sha256) ?? 0) + entry.submits);
  const billed = new Map<string, number>();
  for (const submit of ledger.submits)
    billed.set(submit.text_sha256, (billed.get(submit.text_sha256) ?? 0) + 1);
  const unrecorded = entries
    .filter((entry) => (billed.get(entry.text_sha256) ?? 0) > (recorded.get(entry.text_sha256) ?? 0))
    .map((entry) => entry.id);
  return {
    billed: ledger.submits.length,
    recorded: entries.reduce((sum, entry) => sum + entry.submits, 0),
    unrecorded,
  };
}
