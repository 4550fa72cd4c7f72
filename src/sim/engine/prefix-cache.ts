import { createHash } from 'node:crypto'

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
 * The prefix cache's index over the KV blocks: which computed blocks are known by hash, how many
 * running sequences hold each, and, among those nobody holds (free, but still cached), the order in
 * which they are evicted: least recently released first (vLLM's free-block queue, LRU).
 *
 * The cache never owns memory of its own: every cached block is either held by a sequence or one of
 * the engine's free blocks, so it is bounded by the KV capacity the profile models. The engine asks
 * it to evict free cached blocks when it hands out more blocks than the uncached free ones.
 */
export class PrefixCacheIndex {
  /** Running sequences holding each cached block (0: free, evictable). */
  private readonly holders = new Map<string, number>()
  /** Free cached blocks, in eviction order (a Set keeps insertion order: oldest first). */
  private readonly evictable = new Set<string>()

  /** Cached blocks nobody holds: free blocks the engine can evict. */
  get evictableBlocks(): number {
    return this.evictable.size
  }

  /** Blocks known to the cache (held and free). */
  get cachedBlocks(): number {
    return this.holders.size
  }

  /** How many leading blocks of `hashes` (at most `maxBlocks`) are cached: the longest cached prefix. */
  longestCachedPrefix(hashes: readonly string[], maxBlocks: number): number {
    let blocks = 0
    while (blocks < Math.min(hashes.length, maxBlocks) && this.holders.has(hashes[blocks] as string)) blocks++
    return blocks
  }

  /** A sequence takes the cached blocks `hashes`; returns how many of them were free (leave the free pool). */
  acquire(hashes: readonly string[]): number {
    let fromFree = 0
    for (const hash of hashes) {
      const holders = this.holders.get(hash) ?? 0
      if (holders === 0) {
        this.evictable.delete(hash)
        fromFree++
      }
      this.holders.set(hash, holders + 1)
    }
    return fromFree
  }

  /** A block a sequence just computed, held by it; false when that hash is already cached (the block stays private). */
  register(hash: string): boolean {
    if (this.holders.has(hash)) return false
    this.holders.set(hash, 1)
    return true
  }

  /** A sequence lets go of `hashes`; returns how many became free (nobody holds them): they join the eviction order, newest last. */
  release(hashes: readonly string[]): number {
    let freed = 0
    // The tail of a prompt is evicted before its head (vLLM frees a request's blocks in reverse order).
    for (let i = hashes.length - 1; i >= 0; i--) {
      const hash = hashes[i] as string
      const holders = (this.holders.get(hash) ?? 1) - 1
      this.holders.set(hash, holders)
      if (holders === 0) {
        this.evictable.add(hash)
        freed++
      }
    }
    return freed
  }

  /** Forgets the `count` least recently freed cached blocks (their memory is reused). */
  evict(count: number): void {
    let left = count
    for (const hash of this.evictable) {
      if (left-- <= 0) break
      this.evictable.delete(hash)
      this.holders.delete(hash)
    }
  }
}
