/**
 * Cost per million tokens, SemiAnalysis InferenceX's formula applied to SLO goodput instead of raw
 * throughput (shared/reference/economics.md, "Cost per million tokens"):
 *
 *   $/Mtok = ($ per GPU-hour) / (tokens per second per GPU × 3600 / 1e6)
 *
 * split as InferenceX splits it: input, output and total ("blended") tokens, each carrying the
 * whole cost (the three are not additive). Energy per token: J/token = power (W) / tokens per second.
 *
 * That figure is marginal: one replica kept at full SLO load around the clock. What a token costs
 * with the fleet that is bought is the fleet's monthly cost over the tokens the demand sends in a
 * month (fleetPerMtok): head-room, spares, node rounding and the demand's off-peak hours included.
 */
export interface TokenRates {
  /** Prompt tokens per second of the requests that met the SLO. */
  inputTokensPerS: number
  /** Generated tokens per second of the requests that met the SLO. */
  outputTokensPerS: number
}

export interface CostPerMtok {
  input: number | null
  output: number | null
  total: number | null
}

const SECONDS_PER_HOUR = 3600
/** A month of 730 hours (8,760 / 12), as every monthly figure of geopat. */
export const HOURS_PER_MONTH = 730
const TOKENS_PER_MTOK = 1e6

/** $/Mtok of tokens produced at `tokensPerSecond` by hardware that costs `pricePerHour`. */
export function pricePerMtok(pricePerHour: number, tokensPerSecond: number): number | null {
  if (!(tokensPerSecond > 0)) return null
  return pricePerHour / ((tokensPerSecond * SECONDS_PER_HOUR) / TOKENS_PER_MTOK)
}

/** $/Mtok of one replica (`gpus` GPUs at `pricePerGpuHour`) serving `rates`. */
export function costPerMtok(pricePerGpuHour: number, gpus: number, rates: TokenRates): CostPerMtok {
  const pricePerHour = pricePerGpuHour * gpus
  return {
    input: pricePerMtok(pricePerHour, rates.inputTokensPerS),
    output: pricePerMtok(pricePerHour, rates.outputTokensPerS),
    total: pricePerMtok(pricePerHour, rates.inputTokensPerS + rates.outputTokensPerS),
  }
}

/** Joules per token of `gpus` GPUs drawing `powerWPerGpu` each while producing `tokensPerSecond`. */
export function joulesPerToken(powerWPerGpu: number, gpus: number, tokensPerSecond: number): number | null {
  return tokensPerSecond > 0 ? (powerWPerGpu * gpus) / tokensPerSecond : null
}

/** Tokens a demand of `averageRequestsPerS` sends in a 730-hour month at `tokensPerRequest` each. */
export function tokensPerMonth(averageRequestsPerS: number, tokensPerRequest: number): number {
  return averageRequestsPerS * tokensPerRequest * HOURS_PER_MONTH * SECONDS_PER_HOUR
}

/** Fleet $/Mtok: what the fleet costs in a month over the millions of tokens it serves in that month. */
export function fleetPerMtok(costPerMonth: number, tokens: number): number | null {
  return tokens > 0 ? costPerMonth / (tokens / TOKENS_PER_MTOK) : null
}
