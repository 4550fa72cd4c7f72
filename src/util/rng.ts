import prand from 'pure-rand'

/** A seeded source of uniform numbers in [0, 1): every random choice in geopat goes through one. */
export interface Random {
  next(): number
}

export function seededRandom(seed: number): Random {
  let generator = prand.xoroshiro128plus(seed >>> 0)
  return {
    next(): number {
      // 53 random bits → a double in [0, 1)
      const [high, g1] = prand.uniformIntDistribution(0, (1 << 26) - 1, generator)
      const [low, g2] = prand.uniformIntDistribution(0, (1 << 27) - 1, g1)
      generator = g2
      return (high * 134217728 + low) / 9007199254740992
    },
  }
}
