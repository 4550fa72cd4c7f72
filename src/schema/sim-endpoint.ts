import { z } from 'zod'

/** The network between the client and a simulated endpoint (see src/sim/network.ts). */
export const networkSchema = z
  .object({
    rttMs: z.number().nonnegative().max(10_000).default(0),
    jitterMs: z.number().nonnegative().max(10_000).default(0),
    tlsHandshakeRoundTrips: z.number().int().min(0).max(3).default(0),
  })
  .strict()

export const faultRatesSchema = z
  .object({
    rate429: z.number().min(0).max(1).default(0),
    rate500: z.number().min(0).max(1).default(0),
    rateCut: z.number().min(0).max(1).default(0),
    rateHang: z.number().min(0).max(1).default(0),
    /** Only this many first requests may fail (0 = no limit): a cold or flaky start. */
    firstRequests: z.number().int().nonnegative().default(0),
    retryAfterS: z.number().nonnegative().default(1),
  })
  .strict()
  .refine((f) => f.rate429 + f.rate500 + f.rateCut + f.rateHang <= 1, { message: 'fault rates must add up to at most 1' })

/**
 * One simulated endpoint: a calibrated profile (or fixed timing), confidential computing on or off,
 * the network of its region, and faults. Several of them run in one `geopat sim` process, one port
 * each, so that a scenario can set "us-east hyperscaler, standard" against "eu regional, confidential".
 */
export const simEndpointSchema = z
  .object({
    /** Shipped profile name or a profile file; absent = fixed timing (ttftMs, itlMs). */
    profile: z.string().min(1).optional(),
    cc: z.boolean().default(false),
    ttftMs: z.number().nonnegative().default(100),
    itlMs: z.number().nonnegative().default(10),
    jitterMs: z.number().nonnegative().default(0),
    network: networkSchema.default({ rttMs: 0, jitterMs: 0, tlsHandshakeRoundTrips: 0 }),
    faults: faultRatesSchema.optional(),
    /** Simulate the model loading before the first answer (the profile's cold start, ×CC factor). */
    coldStart: z.boolean().default(false),
    coalesce: z.number().int().min(1).max(1000).default(1),
    /** Output length when a request sets no max_tokens. */
    defaultOutputTokens: z.number().int().min(1).default(64),
    seed: z.number().int().default(1),
    model: z.string().min(1).optional(),
    port: z.number().int().min(0).max(65535).default(0),
  })
  .strict()
  .refine((e) => !(e.cc && e.profile === undefined), { message: 'cc needs a profile (fixed timing has no confidential mode)', path: ['cc'] })
  .refine((e) => !(e.coldStart && e.profile === undefined), { message: 'coldStart needs a profile (its cold start time)', path: ['coldStart'] })
export type SimEndpointConfig = z.infer<typeof simEndpointSchema>

/** `geopat sim --config FILE`: several simulated endpoints in one process, one port each. */
export const simConfigSchema = z
  .object({
    endpoints: z
      .record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'endpoint names are letters, digits, dots, dashes and underscores'), simEndpointSchema)
      .refine((endpoints) => Object.keys(endpoints).length > 0, { message: 'name at least one endpoint' }),
  })
  .strict()
export type SimConfig = z.infer<typeof simConfigSchema>
