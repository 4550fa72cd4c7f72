import type autocannon from 'autocannon'
import type { ResolvedEndpoint } from '../client/endpoint.js'

export interface ProbeResult {
  latencyMeanMs: number
  latencyStdMs: number
  requests: number
}

/**
 * The front-end probe: tiny non-streaming requests (GET /v1/models) at a fixed rate, with
 * autocannon. No GPU work is involved, so a difference between two endpoints here is the HTTP
 * front end and the network and I/O path (a confidential VM's I/O tax), not prefill or decode.
 */
export async function probeFrontEnd(endpoint: ResolvedEndpoint, ratePerS: number, durationS: number): Promise<ProbeResult> {
  const headers: Record<string, string> = { accept: 'application/json', ...endpoint.headers }
  if (endpoint.apiKey) headers.authorization = `Bearer ${endpoint.apiKey}`
  const { default: run } = await import('autocannon') // loaded only by a comparison that probes
  const result = await run({
    url: `${endpoint.origin}${endpoint.basePath}/v1/models`,
    method: 'GET',
    headers,
    connections: 1,
    overallRate: ratePerS,
    duration: durationS,
    tlsOptions: {
      rejectUnauthorized: endpoint.tls.rejectUnauthorized,
      ...(endpoint.tls.ca ? { ca: endpoint.tls.ca } : {}),
      ...(endpoint.tls.cert ? { cert: endpoint.tls.cert } : {}),
      ...(endpoint.tls.key ? { key: endpoint.tls.key } : {}),
    },
  } as autocannon.Options)
  return { latencyMeanMs: result.latency.average, latencyStdMs: result.latency.stddev, requests: result.requests.total }
}
