import { z } from 'zod'
import { STALE_AFTER_DAYS } from '../pricing/fx.js'

/** The floor for the Monte Carlo: at least 10,000 draws, which is also the default. */
export const DEFAULT_DRAWS = 10_000

const DRAWS_RULE = 'must be an integer from 10000 to 1000000'
const SEED_RULE = 'must be an integer from 0 to 4294967295'

/** `geopat tco`'s settings of the Monte Carlo and of the catalog checks: their rules and their defaults, in one place. */
export const tcoSettingsSchema = z.object({
  draws: z.number().int(DRAWS_RULE).min(DEFAULT_DRAWS, DRAWS_RULE).max(1_000_000, DRAWS_RULE).default(DEFAULT_DRAWS),
  seed: z.number().int(SEED_RULE).min(0, SEED_RULE).max(0xffffffff, SEED_RULE).default(1),
  /** Catalog prices the model uses that are older than this many days warn. */
  maxAgeDays: z.number().int('must be an integer >= 1').min(1, 'must be an integer >= 1').default(STALE_AFTER_DAYS),
})
