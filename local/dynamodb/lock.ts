/**
 * A readers-writer lock. Writes to the embedded DynamoDB take it exclusively, so
 * that a stream record's old image is the item the write replaced and a
 * transaction's writes appear at once; reads share it.
 */
export class ReadWriteLock {
  private readers = 0;
  private writer = false;
  private readonly queue: Array<{ exclusive: boolean; grant: () => void }> = [];

  private pump(): void {
    while (this.queue.length > 0) {
      const next = this.queue[0];
      if (next === undefined) return;
      if (next.exclusive) {
        if (this.writer || this.readers > 0) return;
        this.writer = true;
      } else {
        if (this.writer) return;
        this.readers += 1;
      }
      this.queue.shift();
      next.grant();
    }
  }

  private acquire(exclusive: boolean): Promise<() => void> {
    return new Promise((resolve) => {
      this.queue.push({
        exclusive,
        grant: () => {
          let released = false;
          resolve(() => {
            if (released) return;
            released = true;
            if (exclusive) this.writer = false;
            else this.readers -= 1;
            this.pump();
          });
        },
      });
      this.pump();
    });
  }

  async shared<T>(work: () => Promise<T>): Promise<T> {
    const release = await this.acquire(false);
    try {
      return await work();
    } finally {
      release();
    }
  }

  async exclusive<T>(work: () => Promise<T>): Promise<T> {
    const release = await this.acquire(true);
    try {
      return await work();
    } finally {
      release();
    }
  }
}
