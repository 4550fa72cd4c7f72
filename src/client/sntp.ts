/**
 * A Simple Network Time Protocol client (RFC 4330, NTP v4 packets over UDP): a 48-byte request,
 * the server's receive and transmit timestamps in the answer. Written here rather than taken from
 * npm: the protocol is one packet each way, and the packages for it are unmaintained (sntp,
 * deprecated by hapi) or hide the round trip that the offset's bound is made of (ntp-time-sync).
 *
 * The answer was received by the server after our send and sent before our receipt, so the
 * offset (server − host) lies in [T3 − t1, T2 − t0]: its middle is NTP's offset, its half-width
 * half the delay. Several exchanges are intersected.
 */
import { createSocket } from 'node:dgram'
import type { ClockOffset } from '../io/schema/shard.js'
import { type OffsetInterval, hostNowUnixMs, intersect, toClockOffset } from './clock-offset.js'

/** Seconds from the NTP era (1900-01-01) to the Unix epoch. */
const NTP_TO_UNIX_S = 2_208_988_800
export const SNTP_PACKET_BYTES = 48
export const NTP_DEFAULT_PORT = 123

/** Unix ms → a 64-bit NTP timestamp written at `offset` (seconds since 1900, then 2^-32 fractions). */
export function writeNtpTimestamp(buffer: Buffer, offset: number, unixMs: number): void {
  const seconds = Math.floor(unixMs / 1000)
  const fraction = Math.floor(((unixMs - seconds * 1000) / 1000) * 2 ** 32)
  buffer.writeUInt32BE((seconds + NTP_TO_UNIX_S) >>> 0, offset)
  buffer.writeUInt32BE(Math.min(fraction, 2 ** 32 - 1), offset + 4)
}

/** The 64-bit NTP timestamp at `offset` as Unix ms (era 0: until 2036). */
export function readNtpTimestamp(buffer: Buffer, offset: number): number {
  const seconds = buffer.readUInt32BE(offset) - NTP_TO_UNIX_S
  return seconds * 1000 + (buffer.readUInt32BE(offset + 4) / 2 ** 32) * 1000
}

/** A client request: LI 0, version 4, mode 3 (client), our send time as the transmit timestamp (the server echoes it as originate). */
export function sntpRequest(sentAtUnixMs: number): Buffer {
  const packet = Buffer.alloc(SNTP_PACKET_BYTES)
  packet[0] = (0 << 6) | (4 << 3) | 3
  writeNtpTimestamp(packet, 40, sentAtUnixMs)
  return packet
}

/** What a server's answer says, or why it is refused. */
export function readSntpAnswer(packet: Buffer, request: Buffer): { receiveUnixMs: number; transmitUnixMs: number; precisionMs: number } | { refused: string } {
  if (packet.length < SNTP_PACKET_BYTES) return { refused: `answer of ${packet.length} bytes, not ${SNTP_PACKET_BYTES}` }
  const mode = (packet[0] as number) & 0x07
  if (mode !== 4) return { refused: `answer of mode ${mode}, not 4 (server)` }
  if (packet[1] === 0)
    return {
      refused: `kiss-o'-death ${packet
        .subarray(12, 16)
        .toString('latin1')
        .replace(/[^\x20-\x7e]/g, '?')}`,
    }
  if (!packet.subarray(24, 32).equals(request.subarray(40, 48))) return { refused: 'answer to another request (originate timestamp differs)' }
  const precisionMs = 2 ** packet.readInt8(3) * 1000
  return { receiveUnixMs: readNtpTimestamp(packet, 32), transmitUnixMs: readNtpTimestamp(packet, 40), precisionMs }
}

export interface SntpOptions {
  /** Exchanges to intersect (default 4). */
  samples?: number
  /** Wait for each answer, ms (default 2000). */
  timeoutMs?: number
  /** Tests: this host's clock. */
  now?: () => number
}

/**
 * This host's offset against an SNTP server, with its guaranteed half-width. Rejects with a
 * sentence when no exchange got a valid answer.
 */
export async function measureSntpOffset(host: string, port: number, source: string, options: SntpOptions = {}): Promise<ClockOffset> {
  const now = options.now ?? hostNowUnixMs
  const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4')
  const intervals: OffsetInterval[] = []
  let lastProblem = 'no answer'
  let measuredAt: number | undefined
  try {
    for (let i = 0; i < (options.samples ?? 4); i++) {
      const answer = await exchange(socket, host, port, options.timeoutMs ?? 2000, now)
      if ('refused' in answer) {
        lastProblem = answer.refused
        // A server silent for the whole wait will not answer the next request either.
        if (answer.silent) break
        continue
      }
      measuredAt ??= answer.sentAtUnixMs
      intervals.push(answer.interval)
    }
  } finally {
    socket.close()
  }
  if (measuredAt === undefined) throw new Error(lastProblem)
  // Steady clocks give intervals that meet; otherwise the narrowest one alone.
  const best = intersect(intervals) ?? intervals.reduce((a, b) => (b.highMs - b.lowMs < a.highMs - a.lowMs ? b : a))
  return toClockOffset(best, source, measuredAt)
}

type Exchange = { interval: OffsetInterval; sentAtUnixMs: number } | { refused: string; silent?: boolean }

/** One request and its answer (or a timeout): the interval it guarantees. */
function exchange(socket: ReturnType<typeof createSocket>, host: string, port: number, timeoutMs: number, now: () => number): Promise<Exchange> {
  return new Promise<Exchange>((resolve) => {
    const sentAtUnixMs = now()
    const request = sntpRequest(sentAtUnixMs)
    const done = (result: Exchange): void => {
      clearTimeout(timer)
      socket.off('message', onMessage)
      socket.off('error', onError)
      resolve(result)
    }
    const onMessage = (packet: Buffer): void => {
      const receivedAtUnixMs = now()
      const answer = readSntpAnswer(packet, request)
      if ('refused' in answer) return done(answer)
      const fromTransmit = answer.transmitUnixMs - receivedAtUnixMs - answer.precisionMs
      const fromReceive = answer.receiveUnixMs + answer.precisionMs - sentAtUnixMs
      // A server whose stamps are coarser than the precision it states (a millisecond clock claiming
      // microseconds) can answer with bounds that cross: the offset lies between them then.
      const interval = { lowMs: Math.min(fromTransmit, fromReceive), highMs: Math.max(fromTransmit, fromReceive) }
      done({ interval, sentAtUnixMs })
    }
    const onError = (error: Error): void => done({ refused: error.message })
    const timer = setTimeout(() => done({ refused: `no answer within ${timeoutMs} ms`, silent: true }), timeoutMs)
    socket.on('message', onMessage)
    socket.on('error', onError)
    socket.send(request, port, host, (error) => {
      if (error) done({ refused: error.message })
    })
  })
}
