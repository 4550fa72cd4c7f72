import type { Random } from '../util/rng.js'

/**
 * The network between a client and a simulated endpoint: a region's round-trip time, jitter, and
 * the TLS handshake a new connection pays. A kept-alive stream pays about one RTT on TTFT and only
 * jitter on ITL (shared/reference/confidential-and-simulator.md, "Network").
 */
export interface NetworkPath {
  rttMs: number
  /** Uniform ± jitter on each one-way delivery, ms. */
  jitterMs: number
  /** Extra round trips before the first byte on a new TLS connection (1–2; 0 for plain HTTP). */
  tlsHandshakeRoundTrips: number
}

export const LOOPBACK: NetworkPath = { rttMs: 0, jitterMs: 0, tlsHandshakeRoundTrips: 0 }

/** One-way delay of one message on `path`, never negative. */
export function oneWayDelayMs(path: NetworkPath, random: Random | undefined): number {
  const jitter = path.jitterMs > 0 && random ? (random.next() * 2 - 1) * path.jitterMs : 0
  return Math.max(0, path.rttMs / 2 + jitter)
}

/** Added before the request reaches the server when it opens a new connection. */
export function connectionSetupMs(path: NetworkPath, newConnection: boolean): number {
  return newConnection ? path.rttMs * (1 + path.tlsHandshakeRoundTrips) : 0
}

/**
 * What is left of a connection's setup (TCP and TLS handshakes) when its first request arrives
 * over loopback `sinceConnectMs` after the socket connected: a client that sends at once waits for
 * all of it; one that connected ahead (a preconnected socket, idle since) finished its handshakes
 * before it sent, as over a real network, and pays none. Later requests on the socket pay none.
 */
export function setupLeftMs(path: NetworkPath, sinceConnectMs: number): number {
  return Math.max(0, connectionSetupMs(path, true) - Math.max(0, sinceConnectMs))
}
