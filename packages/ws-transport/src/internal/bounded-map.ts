/**
 * A Map bounded by entry count and age: the oldest entries go first. Insertion order is age
 * order, so eviction is O(1) per entry.
 */
export class BoundedMap<K, V> {
  private readonly map = new Map<K, { value: V; at: number }>();

  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    const entry = this.map.get(key);
    if (entry === undefined) return undefined;
    if (this.now() - entry.at > this.ttlMs) {
      this.map.delete(key);
      return undefined;
    }
    return entry.value;
  }

  has(key: K): boolean {
    return this.get(key) !== undefined;
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, { value, at: this.now() });
    this.evict();
  }

  delete(key: K): boolean {
    return this.map.delete(key);
  }

  private evict(): void {
    const now = this.now();
    for (const [key, entry] of this.map) {
      if (this.map.size > this.maxEntries || now - entry.at > this.ttlMs) this.map.delete(key);
      else break;
    }
  }
}
