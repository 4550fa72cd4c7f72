import { z } from 'zod'

/**
 * The safety-relevant choices of one endpoint in a run, as given (never a secret): whether TLS
 * checked the server's certificate, which CA bundle was trusted, whether a client certificate was
 * sent, the NAME of the variable the API key came from, the NAMES of extra headers.
 */
const endpointSafetySchema = z
  .object({
    endpoint: z.string(),
    /** `http`: nothing was encrypted, so there was no certificate to verify. */
    scheme: z.enum(['http', 'https']),
    /** False with --insecure (insecure: true): the server's certificate was not checked. */
    tlsVerification: z.boolean(),
    /** The PEM bundle trusted instead of the system's CAs (--ca-file), as given. */
    caFile: z.string().nullable(),
    /** A client certificate was sent (mutual TLS); the key file is not named. */
    clientCertificate: z.boolean(),
    /** The environment variable the API key was read from (--api-key-env); never the key. */
    apiKeyEnv: z.string().nullable(),
    /** Names of the extra request headers (--header); never their values. */
    headerNames: z.array(z.string()),
  })
  .strict()
export type EndpointSafety = z.infer<typeof endpointSafetySchema>

/** The run's safety-relevant choices. Optional in summaries: older ones have none. */
export const runSafetySchema = z
  .object({
    endpoints: z.array(endpointSafetySchema),
    /** Retries on 429, 5xx and connect errors (--retries): a retried request may have been served twice. */
    retries: z.object({ max: z.number().int().nonnegative(), backoffMs: z.number().nonnegative(), maxWaitMs: z.number().nonnegative() }).strict(),
  })
  .strict()
export type RunSafety = z.infer<typeof runSafetySchema>
