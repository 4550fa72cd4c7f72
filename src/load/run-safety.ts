import type { ResolvedEndpoint } from '../client/endpoint.js'
import type { RetryConfig } from '../io/schema/scenario.js'
import type { EndpointSafety, RunSafety } from '../io/schema/safety.js'

/**
 * What a run did about safety, from the endpoints as resolved and the retry settings: recorded in
 * the bench and compare summaries so that a result measured with TLS verification off (or a
 * custom CA, a client certificate, a key from some variable) says so. Names only, never secrets:
 * the API key's variable name, not its value; header names, not values; no key file.
 */
export function runSafety(endpoints: readonly ResolvedEndpoint[], retries: RetryConfig): RunSafety {
  const recorded: EndpointSafety[] = []
  for (const endpoint of endpoints) {
    recorded.push({
      endpoint: endpoint.label,
      scheme: endpoint.origin.startsWith('https:') ? 'https' : 'http',
      tlsVerification: endpoint.tls.rejectUnauthorized,
      caFile: endpoint.config.caFile ?? null,
      clientCertificate: endpoint.config.certFile !== undefined,
      apiKeyEnv: endpoint.config.apiKeyEnv ?? null,
      headerNames: Object.keys(endpoint.headers).sort(),
    })
  }
  return { endpoints: recorded, retries: { max: retries.max, backoffMs: retries.backoffMs, maxWaitMs: retries.maxWaitMs } }
}

/** One line per https endpoint whose certificate was not checked (--insecure); none otherwise. */
export function tlsOffLines(safety: RunSafety | undefined): string[] {
  return (safety?.endpoints ?? [])
    .filter((endpoint) => endpoint.scheme === 'https' && !endpoint.tlsVerification)
    .map(
      (endpoint) =>
        `TLS verification OFF for ${endpoint.endpoint} (--insecure): its certificate was not checked, so these figures may come from whoever answered`,
    )
}
