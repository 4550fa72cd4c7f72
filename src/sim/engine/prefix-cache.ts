import { createHash } from 'node:crypto'
import { TRACE_BLOCK_TOKENS, type TraceRow } from '../../input/trace/read-trace.js'

/**
 * The hashes of a prompt's full blocks, as vLLM's automatic prefix caching names them
 * (docs.vllm.ai/en/latest/design/prefix_caching: "we hash each kv-cache block by the tokens in the
 * block and the tokens in the prefix before the block", i.e. hash(parent hash, block tokens)): block
 * i's hash covers every token up to the end of block i, so two prompts share block i's hash exactly
 * when their first (i+1)·blockSize tokens are equal. The last, partial block has no hash (vLLM
 * caches full blocks only). SHA-256 (vLLM's `--prefix-caching-hash-algo sha256`), truncated to 16
 * bytes: collisions are out of reach at simulator scale.
 */
export function promptBlockHashes(tokenIds: readonly number[], blockSize: number): string[] {
  const hashes: string[] = []
  let parent = ''
  const fullBlocks = Math.floor(tokenIds.length / blockSize)
  for (let block = 0; block < fullBlocks; block++) {
    const tokens = tokenIds.slice(block * blockSize, (block + 1) * blockSize)
    parent = createHash('sha256').update(parent).update(Int32Array.from(tokens)).digest('base64').slice(0, 22)
    hashes.push(parent)
  }
  return hashes
}

/**
 * Block hashes of a prompt known only by its trace's block ids (Mooncake's `hash_ids`: one id per
 * `idTokens` tokens, equal ids meaning an equal prefix up to that block), for replay in virtual time
 * without text: engine block j (of `blockSize` tokens) is named by the chain of trace ids up to the
 * one covering it and its place inside that one. Blocks past the ids (or past a partial trace block
 * at the end) are the request's own, salted with `uniqueSalt`, so they never match another request.
 */
export function traceBlockHashes(
  blockIds: ReadonlyArray<string | number>,
  idTokens: number,
  promptTokens: number,
  blockSize: number,
  uniqueSalt: string,
): string[] {
  const hashes: string[] = []
  let parent = ''
  for (let block = 0; block < Math.floor(promptTokens / blockSize); block++) {
    const end = (block + 1) * blockSize
    const traceBlock = Math.floor((end - 1) / idTokens)
    // Shared only while the engine block lies inside trace blocks that the ids name whole.
    const shared = traceBlock < blockIds.length && Math.floor((block * blockSize) / idTokens) === traceBlock
    const name = shared ? `${String(blockIds[traceBlock])}/${block}` : `${uniqueSalt}/${block}`
    parent = createHash('sha256').update(parent).update(name).digest('base64').slice(0, 22)
    hashes.push(parent)
  }
  return hashes
}

/**
 * A trace row's engine block hashes: traceBlockHashes over its hash ids (TRACE_BLOCK_TOKENS tokens
 * each), salted with its place in the replay. The one naming `geopat sim --virtual --trace` and
 * `geopat size --trace` share, so that a size of a trace assumes the reuse the simulator replays.
 */
export function traceRowBlockHashes(blockSize: number): (row: TraceRow, index: number) => string[] {
  return (row, index) => traceBlockHashes(row.prefixBlocks, TRACE_BLOCK_TOKENS, row.inputTokens, blockSize, `trace-row-${index}`)
}

/** A cached block: how many running sequences hold it, and its place in the eviction order while nobody does. */
interface CachedBlock {
  readonly hash: string
  holders: number
  /** Neighbours in the eviction order (free blocks only; null at either end or when held). */
  older: CachedBlock | null
  newer: CachedBlock | null
  evictable: boolean
}

/**
 * The prefix cache's index over the KV blocks: which computed blocks are known by hash, how many
 * running sequences hold each, and, among those nobody holds (free, but still cached), the order in
 * which they are evicted: least recently released first (vLLM's free-block queue, LRU).
 *
 * The cache never owns memory of its own: every cached block is either held by a sequence or one of
 * the engine's free blocks, so it is bounded by the KV capacity the profile models. The engine asks
 * it to evict free cached blocks when it hands out more blocks than the uncached free ones.
 *
 * One map entry per block holds its count and its links in the eviction order (a doubly linked list,
 * as vLLM's free-block queue is): every operation is one map lookup per block. A Set in insertion
 * order did the same job with three or four lookups per block, and its iteration from the oldest
 * walked over the entries deleted since its last rehash: the simulated session searches spent a third
 * of their CPU here.
 */
export class PrefixCacheIndex {
  private readonly blocks = new Map<string, CachedBlock>()
  /** The eviction order: oldest (next evicted) and newest free cached block. */
  private oldest: CachedBlock | null = null
  private newest: CachedBlock | null = null
  private freeCount = 0

  /** Cached blocks nobody holds: free blocks the engine can evict. */
  get evictableBlocks(): number {
    return this.freeCount
  }

  /** Blocks known to the cache (held and free). */
  get cachedBlocks(): number {
    return this.blocks.size
  }

  /** How many leading blocks of `hashes` (at most `maxBlocks`) are cached: the longest cached prefix. */
  longestCachedPrefix(hashes: readonly string[], maxBlocks: number): number {
    let blocks = 0
    while (blocks < Math.min(hashes.length, maxBlocks) && this.blocks.has(hashes[blocks] as string)) blocks++
    return blocks
  }

  /** A sequence takes the cached blocks `hashes`; returns how many of them were free (leave the free pool). */
  acquire(hashes: readonly string[]): number {
    let fromFree = 0
    for (const hash of hashes) {
      let block = this.blocks.get(hash)
      if (block === undefined) {
        block = { hash, holders: 0, older: null, newer: null, evictable: false }
        this.blocks.set(hash, block)
      }
      if (block.holders === 0) {
        this.unlink(block)
        fromFree++
      }
      block.holders++
    }
    return fromFree
  }

  /** A block a sequence just computed, held by it; false when that hash is already cached (the block stays private). */
  register(hash: string): boolean {
    if (this.blocks.has(hash)) return false
    this.blocks.set(hash, { hash, holders: 1, older: null, newer: null, evictable: false })
    return true
  }

  /** A sequence lets go of `hashes`; returns how many became free (nobody holds them): they join the eviction order, newest last. */
  release(hashes: readonly string[]): number {
    let freed = 0
    // The tail of a prompt is evicted before its head (vLLM frees a request's blocks in reverse order).
    for (let i = hashes.length - 1; i >= 0; i--) {
      const hash = hashes[i] as string
      let block = this.blocks.get(hash)
      if (block === undefined) {
        block = { hash, holders: 1, older: null, newer: null, evictable: false }
        this.blocks.set(hash, block)
      }
      block.holders--
      if (block.holders === 0) {
        this.append(block)
        freed++
      }
    }
    return freed
  }

  /** Forgets the `count` least recently freed cached blocks (their memory is reused). */
  evict(count: number): void {
    for (let left = count; left > 0 && this.oldest !== null; left--) {
      const block = this.oldest
      this.unlink(block)
      this.blocks.delete(block.hash)
    }
  }

  /** Puts a block that became free at the newest end of the eviction order (where it is already, it stays). */
  private append(block: CachedBlock): void {
    if (block.evictable) return
    block.evictable = true
    block.older = this.newest
    block.newer = null
    if (this.newest) this.newest.newer = block
    else this.oldest = block
    this.newest = block
    this.freeCount++
  }

  /** Takes a block out of the eviction order (taken again, or evicted); nothing when it is not in it. */
  private unlink(block: CachedBlock): void {
    if (!block.evictable) return
    block.evictable = false
    if (block.older) block.older.newer = block.newer
    else this.oldest = block.newer
    if (block.newer) block.newer.older = block.older
    else this.newest = block.older
    block.older = null
    block.newer = null
    this.freeCount--
  }
}
