import type { PromptItem, PromptSource } from './prompts.js'

/**
 * Keeps prompts ready ahead of the requests that need them. Building a prompt of an exact token
 * length costs a tokenizer pass (~0.1 ms per 1k tokens); done on demand, a burst of completions at
 * thousands of streams queued that work between sending a request and undici writing it, and
 * requests waited up to hundreds of ms. Prompts are made before the run starts (`fill`) and then
 * topped up in small time-boxed batches between network events.
 */
export class PromptBuffer implements PromptSource {
  private readonly ready: PromptItem[] = []
  private head = 0
  private refillScheduled = false

  constructor(
    private readonly source: PromptSource,
    /** Refill when fewer than this many are ready. */
    private readonly lowWater: number,
    /** Refill up to this many. */
    private readonly highWater: number,
    /** Stop making prompts once this many were made in all (the run's request count, if known). */
    private readonly limit = Number.POSITIVE_INFINITY,
  ) {}

  private made = 0

  /** Makes prompts now, up to the high-water mark (call before the run starts). */
  fill(): void {
    while (this.size < this.highWater && this.made < this.limit) this.push()
  }

  get size(): number {
    return this.ready.length - this.head
  }

  next(): PromptItem {
    if (this.size === 0) this.push()
    const item = this.ready[this.head] as PromptItem
    this.ready[this.head++] = undefined as unknown as PromptItem
    if (this.head > 4096 && this.head * 2 > this.ready.length) {
      this.ready.splice(0, this.head)
      this.head = 0
    }
    if (this.size < this.lowWater && !this.refillScheduled && this.made < this.limit) {
      this.refillScheduled = true
      setImmediate(() => this.refill())
    }
    return item
  }

  private push(): void {
    this.ready.push(this.source.next())
    this.made++
  }

  private refill(): void {
    this.refillScheduled = false
    const until = performance.now() + 2
    while (this.size < this.highWater && this.made < this.limit && performance.now() < until) this.push()
    if (this.size < this.lowWater && this.made < this.limit) {
      this.refillScheduled = true
      setImmediate(() => this.refill())
    }
  }
}
