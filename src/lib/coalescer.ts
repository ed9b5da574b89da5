/**
 * Turns single calls into batches without waiting for a batch to fill: a
 * call made while no batch runs goes at once (alone, on an idle system);
 * calls made while one runs wait for it and then go together. Under load
 * that is one database round trip for many tasks, and no added delay when idle.
 */
export class Coalescer<In, Out> {
  private queue: { input: In; resolve: (out: Out) => void; reject: (error: unknown) => void }[] = [];
  private running = false;

  constructor(
    /** Returns one output per input, in the same order. */
    private readonly runBatch: (inputs: In[]) => Promise<Out[]>,
    private readonly maxBatch = 100,
  ) {}

  call(input: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        const outputs = await this.runBatch(batch.map((call) => call.input));
        for (const [i, call] of batch.entries()) call.resolve(outputs[i] as Out);
      } catch (error) {
        for (const call of batch) call.reject(error);
      }
    }
    this.running = false;
  }
}
