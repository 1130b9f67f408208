// A first-in first-out queue with O(1) push, shift and indexed access.
// Array.prototype.shift moves every remaining element once the array's
// backing store is large (it cannot be trimmed in place): the tail cache's
// eviction list and a busy partition's cached chunks hold tens of thousands of
// entries, and shifting them cost 5% of a core at 1,024 partitions and 30% on
// one partition with small batches. Owns no limit: callers bound what they push.

export class FifoQueue<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  /** The item `i` places after the oldest (0 = the oldest), or undefined. */
  at(i: number): T | undefined {
    return i >= 0 && i < this.length ? this.items[this.head + i] : undefined;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = this.head; i < this.items.length; i++) yield this.items[i] as T;
  }

  /** Removes and returns the oldest item, or undefined when empty. */
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head++;
    // Drop the consumed prefix once it is most of the array: amortised O(1).
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}
