/**
 * Runs tasks one at a time, in the order they were queued. A Durable Object's input gate holds other events back
 * only while it waits on its own storage: a D1 call or any other fetch lets the next RPC call in, so a read of D1
 * followed by a write to it is a race unless the tasks that do them are queued here.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    // The next task waits for this one whatever its outcome; its failure is the caller's to see, not the queue's.
    this.tail = result.catch(() => undefined);
    return result;
  }
}
