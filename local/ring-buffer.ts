/**
 * The last `capacity` items, oldest first: what the admin captures keep, so that a
 * long-running cloud (or a flood of publishes) holds a bounded amount of memory.
 */
export class RingBuffer<T> {
  private readonly slots: T[] = [];
  /** Where the oldest item sits once the buffer is full. */
  private start = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`a ring buffer needs a capacity of at least 1, got ${capacity}`);
    }
  }

  push(item: T): void {
    if (this.slots.length < this.capacity) {
      this.slots.push(item);
      return;
    }
    this.slots[this.start] = item;
    this.start = (this.start + 1) % this.capacity;
  }

  get size(): number {
    return this.slots.length;
  }

  /** A copy, oldest first. */
  toArray(): T[] {
    return [...this.slots.slice(this.start), ...this.slots.slice(0, this.start)];
  }
}
