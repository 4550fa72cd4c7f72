/**
 * A binary min-heap ordered by (key, insertion order): ties come out first-in first-out, so
 * simulations that use it are reproducible.
 */
export class MinHeap<T> {
  private readonly keys: number[] = []
  private readonly orders: number[] = []
  private readonly values: T[] = []
  private nextOrder = 0

  get size(): number {
    return this.values.length
  }

  peekKey(): number | undefined {
    return this.keys[0]
  }

  push(key: number, value: T): void {
    this.keys.push(key)
    this.orders.push(this.nextOrder++)
    this.values.push(value)
    this.siftUp(this.values.length - 1)
  }

  pop(): T | undefined {
    const n = this.values.length
    if (n === 0) return undefined
    const top = this.values[0] as T
    this.swap(0, n - 1)
    this.keys.pop()
    this.orders.pop()
    this.values.pop()
    if (n > 1) this.siftDown(0)
    return top
  }

  private less(a: number, b: number): boolean {
    const ka = this.keys[a] as number
    const kb = this.keys[b] as number
    return ka < kb || (ka === kb && (this.orders[a] as number) < (this.orders[b] as number))
  }

  /** Swaps two entries (through temporaries: a destructuring swap allocated an array per call on the simulator's hot path). */
  private swap(a: number, b: number): void {
    const { keys, orders, values } = this
    const key = keys[a] as number
    keys[a] = keys[b] as number
    keys[b] = key
    const order = orders[a] as number
    orders[a] = orders[b] as number
    orders[b] = order
    const value = values[a] as T
    values[a] = values[b] as T
    values[b] = value
  }

  private siftUp(index: number): void {
    let i = index
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.less(i, parent)) break
      this.swap(i, parent)
      i = parent
    }
  }

  private siftDown(index: number): void {
    const n = this.values.length
    let i = index
    for (;;) {
      const left = 2 * i + 1
      const right = left + 1
      let smallest = i
      if (left < n && this.less(left, smallest)) smallest = left
      if (right < n && this.less(right, smallest)) smallest = right
      if (smallest === i) break
      this.swap(i, smallest)
      i = smallest
    }
  }
}
