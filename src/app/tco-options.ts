/** The floor for the Monte Carlo: at least 10,000 draws, which is also the default. */
export const DEFAULT_DRAWS = 10_000
