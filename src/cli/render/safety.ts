import type { RunSafety } from '../../io/schema/safety.js'
import { tlsOffLines } from '../../load/run-safety.js'

/** The run's safety choices for the terminal: the TLS-off warnings first, then one line per endpoint. */
export function formatSafety(safety: RunSafety): string[] {
  const lines = tlsOffLines(safety).map((line) => `WARNING: ${line}`)
  for (const endpoint of safety.endpoints) {
    const parts = [
      endpoint.scheme === 'http' ? 'http (no TLS)' : endpoint.tlsVerification ? 'https, certificate verified' : 'https, TLS verification OFF',
      ...(endpoint.caFile !== null ? [`CA file ${endpoint.caFile}`] : []),
      ...(endpoint.clientCertificate ? ['client certificate'] : []),
      ...(endpoint.apiKeyEnv !== null ? [`API key from $${endpoint.apiKeyEnv}`] : []),
      ...(endpoint.headerNames.length > 0 ? [`headers ${endpoint.headerNames.join(', ')}`] : []),
    ]
    lines.push(`safety: ${endpoint.endpoint}: ${parts.join(', ')}`)
  }
  lines.push(`safety: retries ${safety.retries.max === 0 ? 'off' : `up to ${safety.retries.max} per request (429, 5xx, connect errors)`}`)
  return lines
}
