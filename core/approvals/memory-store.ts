import type { ReviewDecision, ReviewRecord, ReviewStore } from './types.js';

/** Single-instance review store: a Map, decided reviews kept (bounded) so approvers can list them. */
export class MemoryReviewStore implements ReviewStore {
  readonly kind = 'memory' as const;
  private readonly records = new Map<string, ReviewRecord>();
  private readonly listeners = new Map<string, Set<(r: ReviewRecord) => void>>();

  constructor(private readonly maxDecided = 1_000) {}

  async create(record: ReviewRecord): Promise<void> {
    if (this.records.has(record.id)) throw new Error(`review ${record.id} already exists`);
    this.records.set(record.id, structuredClone(record));
    this.prune();
  }

  async get(id: string): Promise<ReviewRecord | null> {
    const r = this.records.get(id);
    return r ? structuredClone(r) : null;
  }

  async list(pendingOnly: boolean, limit: number, sinceMs = 0): Promise<ReviewRecord[]> {
    const out: ReviewRecord[] = [];
    for (const r of this.records.values()) if ((!pendingOnly || r.state === 'pending') && r.createdAtMs >= sinceMs) out.push(structuredClone(r));
    out.sort((a, b) => b.createdAtMs - a.createdAtMs);
    return out.slice(0, limit);
  }

  async decide(id: string, decision: ReviewDecision): Promise<{ record: ReviewRecord; applied: boolean } | null> {
    const r = this.records.get(id);
    if (!r) return null;
    if (r.state !== 'pending') return { record: structuredClone(r), applied: false };
    Object.assign(r, decision);
    const listeners = this.listeners.get(id);
    // Holders hear of it on their own turn, not inside the approver's call.
    if (listeners) for (const l of listeners) queueMicrotask(() => l(structuredClone(r)));
    return { record: structuredClone(r), applied: true };
  }

  subscribe(id: string, listener: (record: ReviewRecord) => void): () => void {
    let set = this.listeners.get(id);
    if (!set) this.listeners.set(id, (set = new Set()));
    set.add(listener);
    return () => {
      set!.delete(listener);
      if (set!.size === 0) this.listeners.delete(id);
    };
  }

  private prune(): void {
    let decided = 0;
    for (const r of this.records.values()) if (r.state !== 'pending') decided++;
    if (decided <= this.maxDecided) return;
    // Map iteration is insertion order: the oldest decided reviews go first.
    for (const [id, r] of this.records) {
      if (decided <= this.maxDecided) break;
      if (r.state !== 'pending') {
        this.records.delete(id);
        decided--;
      }
    }
  }

  close(): void {
    this.listeners.clear();
  }
}
