// Owns one pattern the broker needs in several places (re-reading the cluster
// view, the topics, re-syncing leadership): an async job that runs one at a
// time, where a request arriving during a run makes it run once more after,
// however many requests arrived. Callers share the promise of the run that
// will include their request. Must not know what the job does.

export class CoalescingTask {
  private readonly job: () => Promise<void>;
  private running: Promise<void> | undefined;
  private again = false;

  constructor(job: () => Promise<void>) {
    this.job = job;
  }

  /** The promise of the current run (if any), for waiters that must not start one. */
  get current(): Promise<void> | undefined {
    return this.running;
  }

  run(): Promise<void> {
    if (this.running !== undefined) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.job();
        } while (this.again);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }
}
