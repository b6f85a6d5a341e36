/** A set of row ids mapped to their seq, for duplicate checks over a million rows. */
export type IdTable = {
  readonly get: (id: string) => number | undefined;
  /** Adds `id` for `seq`; the caller has checked that it is not there yet. */
  readonly add: (id: string, seq: number) => void;
};

const INITIAL_SLOTS = 1 << 12;

/** FNV-1a over the UTF-16 code units (ids are ASCII). */
function hashId(id: string): number {
  let hash = 0x811c9dc5;
  for (let at = 0; at < id.length; at += 1) {
    hash ^= id.charCodeAt(at);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * An open-addressing hash table of seq numbers keyed by the id that `idOf(seq)` gives back: the
 * ids themselves stay in the row index's compact storage, so a million ids cost a few MB here
 * instead of a Map's ~100 MB.
 */
export function makeIdTable(idOf: (seq: number) => string | undefined): IdTable {
  /** seq + 1 in each used slot, 0 when free. */
  let slots = new Int32Array(INITIAL_SLOTS);
  let size = 0;

  const slotOf = (table: Int32Array, id: string): number => {
    const mask = table.length - 1;
    let slot = hashId(id) & mask;
    for (;;) {
      const entry = table[slot] ?? 0;
      if (entry === 0 || idOf(entry - 1) === id) return slot;
      slot = (slot + 1) & mask;
    }
  };

  const grow = () => {
    const old = slots;
    slots = new Int32Array(old.length * 2);
    for (const entry of old) {
      if (entry === 0) continue;
      const id = idOf(entry - 1);
      if (id !== undefined) slots[slotOf(slots, id)] = entry;
    }
  };

  return {
    get(id) {
      const entry = slots[slotOf(slots, id)] ?? 0;
      return entry === 0 ? undefined : entry - 1;
    },
    add(id, seq) {
      if ((size + 1) * 2 > slots.length) grow();
      slots[slotOf(slots, id)] = seq + 1;
      size += 1;
    },
  };
}
