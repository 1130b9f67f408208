// A first-in first-out queue with O(1) push and shift. Array.prototype.shift
// moves every remaining element once the array's backing store is large (it
// cannot be trimmed in place): the tail cache's eviction list holds tens of
// thousands of entries, and shifting it cost 5% of a core at 1,024 partitions.
// Owns no limit of its own: callers bound what they push.

export class FifoQueue<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  /** The oldest item, or undefined when empty. */
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
