import prand from 'pure-rand'

/** A seeded source of uniform numbers in [0, 1): every random choice in geopat goes through one. */
export interface Random {
  next(): number
}

export function seededRandom(seed: number): Random {
  // pure-rand's xoroshiro128+, advanced in place (unsafeNext): no allocation per draw. Its own
  // seeding puts the seed into the state as it is (-1, ~seed, seed, 0), and xoroshiro's first
  // outputs are then barely mixed: seeds 1 to 1000 all drew 0.99999… first, so a Poisson schedule's
  // first gap was ~24 mean gaps. The state is filled from the seed by SplitMix32 instead, as
  // xoroshiro's authors advise (seed a xoroshiro from a SplitMix output, never from a raw number).
  const generator = prand.xoroshiro128plus.fromState(splitMix32State(seed >>> 0))
  return {
    next(): number {
      // 53 random bits → a double in [0, 1) (27 high bits of one draw, 26 of the next).
      const high = generator.unsafeNext() >>> 5
      const low = generator.unsafeNext() >>> 6
      return (high * 67108864 + low) / 9007199254740992
    },
  }
}

/** Four 32-bit state words from `seed` by SplitMix32 (Weyl increment 0x9e3779b9, then a murmur-style finaliser); never all zero. */
function splitMix32State(seed: number): number[] {
  let weyl = seed
  const words: number[] = []
  for (let i = 0; i < 4; i++) {
    weyl = (weyl + 0x9e3779b9) | 0
    let z = weyl
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
    words.push((z ^ (z >>> 16)) | 0)
  }
  if (!words.some((word) => word !== 0)) words[3] = 1
  return words
}

/**
 * One standard normal draw (Box–Muller, cosine branch only: stateless, so what a sampler draws
 * depends on nothing but its Random's sequence).
 */
export function sampleStandardNormal(random: Random): number {
  const u1 = 1 - random.next() // (0, 1]: the logarithm stays finite
  const u2 = random.next()
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2)
}

/** One exponential draw of mean 1 (inverse transform: 1 − u is in (0, 1], so the logarithm stays finite). */
export function sampleExponential(random: Random): number {
  return -Math.log(1 - random.next())
}

/**
 * Draws of a lognormal whose values have mean `mean` and standard deviation `std` (the underlying
 * normal's μ and σ derived from those two).
 */
export function lognormalSampler(mean: number, std: number, random: Random): () => number {
  const sigma2 = Math.log(1 + (std * std) / (mean * mean))
  const mu = Math.log(mean) - sigma2 / 2
  const sigma = Math.sqrt(sigma2)
  return () => Math.exp(mu + sigma * sampleStandardNormal(random))
}

/**
 * A seed for one named stream of a run (prompt lengths, reply lengths, text offsets...), so that
 * changing how one stream is used leaves the others' draws alone, and seeds 1 and 2 do not share
 * streams the way `seed + k` would. Mixing is murmur3's 32-bit finaliser.
 */
export function deriveSeed(seed: number, stream: number): number {
  let h = ((seed >>> 0) ^ Math.imul(stream + 1, 0x9e3779b1)) >>> 0
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** Fisher–Yates shuffle of `items` in place. */
export function shuffleInPlace<T>(items: T[], random: Random): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random.next() * (i + 1))
    const picked = items[j] as T
    items[j] = items[i] as T
    items[i] = picked
  }
}
