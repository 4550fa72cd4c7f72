import { z } from 'zod'
import { lengthSpecSchema } from './length-spec.js'

/** The network between the client and a simulated endpoint (see src/sim/network.ts). */
const networkSchema = z
  .object({
    rttMs: z.number().nonnegative().max(10_000).default(0),
    jitterMs: z.number().nonnegative().max(10_000).default(0),
    tlsHandshakeRoundTrips: z.number().int().min(0).max(3).default(0),
  })
  .strict()

const faultRatesSchema = z
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

const hexSchema = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`), `must be ${bytes} bytes written as ${bytes * 2} hex digits`)

/** Key material one simulated confidential VM signs its evidence with (files the tests generate). */
const attestationIdentitySchema = z
  .object({
    /** PEM private key (EC P-384) that signs SEV-SNP reports: the VCEK's. */
    vcekKey: z.string().min(1),
    /** PEM certificate of that key, served beside the report. */
    vcekCert: z.string().min(1),
    /** JSON file with the private JWK (ES384) that signs the NVIDIA attestation token. */
    nvidiaJwk: z.string().min(1),
    /** The launch measurement the SNP report carries (48 bytes). */
    measurement: hexSchema(48),
    /** The chip the VCEK was issued for (its hwID extension): the report's CHIP_ID. */
    chipId: hexSchema(64),
    /** The TCB the VCEK was issued for (a uint64, decimal): the report's REPORTED_TCB. */
    reportedTcb: z.string().regex(/^\d{1,20}$/, 'must be a uint64 written in decimal'),
  })
  .strict()

/**
 * `GET /v1/attestation/report?nonce=` on a simulated confidential endpoint (the pattern of attested
 * OpenAI-compatible APIs): an SEV-SNP report binding the nonce, its VCEK certificate, and an NVIDIA
 * GPU attestation token, signed with the keys given here. `swapAfterReports` serves a second
 * identity from that report on: a machine swapped under a running benchmark.
 */
const simAttestationSchema = attestationIdentitySchema
  .extend({
    swapAfterReports: z.number().int().min(1).optional(),
    swapTo: attestationIdentitySchema.optional(),
  })
  .strict()
  .refine((a) => (a.swapAfterReports === undefined) === (a.swapTo === undefined), { message: 'swapAfterReports and swapTo go together', path: ['swapTo'] })
export type SimAttestation = z.infer<typeof simAttestationSchema>

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
    /**
     * Automatic prefix caching, over the profile's `engine.prefixCaching`: on (vLLM V1's default) or off
     * (V0's default, and what the shipped profiles of vLLM 0.5/0.6 say). Needs a profile.
     */
    prefixCaching: z.enum(['on', 'off']).optional(),
    /**
     * A reasoning model (vLLM `--reasoning-parser`): `share` of each chat answer's tokens, or `tokens`
     * drawn per request from a length distribution, is streamed first on the reasoning channel,
     * `delta.reasoning` (vLLM since the rename) or `delta.reasoning_content` (earlier vLLM); the answer
     * keeps at least one token. A request's `reasoning_effort` sets its own share; `chat_template_kwargs.enable_thinking: false` none.
     */
    reasoning: z
      .object({
        share: z.number().min(0).max(1).optional(),
        tokens: lengthSpecSchema.optional(),
        field: z.enum(['reasoning', 'reasoning_content']).default('reasoning'),
      })
      .strict()
      .refine((reasoning) => (reasoning.share === undefined) !== (reasoning.tokens === undefined), {
        message: 'give either share (of each answer) or tokens (a length distribution), not both or neither',
      })
      .optional(),
    model: z.string().min(1).optional(),
    port: z.number().int().min(0).max(65535).default(0),
    /** Serve attestation evidence (confidential profiles only). */
    attestation: simAttestationSchema.optional(),
  })
  .strict()
  .refine((e) => !(e.attestation && !e.cc), {
    message: 'attestation needs cc: true (only a confidential endpoint has evidence to give)',
    path: ['attestation'],
  })
  .refine((e) => !(e.cc && e.profile === undefined), { message: 'cc needs a profile (fixed timing has no confidential mode)', path: ['cc'] })
  .refine((e) => !(e.coldStart && e.profile === undefined), { message: 'coldStart needs a profile (its cold start time)', path: ['coldStart'] })
  .refine((e) => !(e.prefixCaching !== undefined && e.profile === undefined), {
    message: 'prefixCaching needs a profile (fixed timing has no KV cache)',
    path: ['prefixCaching'],
  })
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
