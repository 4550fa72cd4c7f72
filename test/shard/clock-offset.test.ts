import { describe, expect, it } from 'vitest'
import { type ClockReading, intersect, intervalOf, measureSecondClock, parseHttpDate } from '../../src/client/clock-offset.js'
import { readNtpTimestamp, readSntpAnswer, sntpRequest, writeNtpTimestamp } from '../../src/client/sntp.js'

/**
 * A server whose clock is `offsetMs` ahead of the host's, answering with a one-second Date, in
 * virtual time: each probe takes `roundTripMs` (its stamp at a seeded point inside it).
 */
function virtualSecondClock(offsetMs: number, roundTripMs: number) {
  let now = 1_800_000_000_123.4
  let state = 7
  const random = (): number => {
    state = (state * 48271) % 2147483647
    return state / 2147483647
  }
  const probe = async (): Promise<ClockReading> => {
    const sentAtUnixMs = now
    const stampedAt = now + random() * roundTripMs
    now += roundTripMs
    return { sentAtUnixMs, receivedAtUnixMs: now, otherUnixMs: Math.floor((stampedAt + offsetMs) / 1000) * 1000, resolutionMs: 1000 }
  }
  const clock = {
    now: () => now,
    sleep: async (ms: number) => {
      now += Math.max(0, ms)
    },
  }
  return { probe, clock, elapsed: () => now - 1_800_000_000_123.4 }
}

describe('offset against a clock of one-second resolution (an HTTP Date)', () => {
  it('the interval always holds the true offset, and probes around the tick narrow it to about the round trip', async () => {
    for (const offsetMs of [0, 0.4, 137.25, -2_500.8, 999.9, 86_400_000.5]) {
      for (const roundTripMs of [0.3, 2, 20]) {
        const server = virtualSecondClock(offsetMs, roundTripMs)
        const measured = await measureSecondClock(server.probe, 'endpoint-date', server.clock)
        expect(Math.abs(measured.offsetMs - offsetMs)).toBeLessThanOrEqual(measured.uncertaintyMs)
        // Two rounds of fifteen probes: 1000 ms → ~63 → ~4, each plus the round trip.
        expect(measured.uncertaintyMs).toBeLessThanOrEqual(roundTripMs + 5)
      }
    }
  })

  it('one reading bounds the offset by the second and the round trip', () => {
    const reading = { sentAtUnixMs: 10_000.5, receivedAtUnixMs: 10_010.5, otherUnixMs: 12_000, resolutionMs: 1000 }
    // Stamped between 10 000.5 and 10 010.5 with a time in [12 000, 13 000]: offset in [1 989.5, 2 999.5].
    expect(intervalOf(reading)).toEqual({ lowMs: 1989.5, highMs: 2999.5 })
    expect(intersect([intervalOf(reading), { lowMs: 2500, highMs: 4000 }])).toEqual({ lowMs: 2500, highMs: 2999.5 })
    expect(
      intersect([
        { lowMs: 0, highMs: 1 },
        { lowMs: 2, highMs: 3 },
      ]),
    ).toBeUndefined()
  })

  it('reads the HTTP date forms', () => {
    expect(parseHttpDate('Sun, 06 Dec 2026 18:30:00 GMT')).toBe(Date.UTC(2026, 11, 6, 18, 30, 0))
    expect(parseHttpDate('not a date')).toBeUndefined()
    expect(parseHttpDate(undefined)).toBeUndefined()
  })
})

describe('SNTP packets', () => {
  it('NTP timestamps round-trip to within 2^-32 s', () => {
    const buffer = Buffer.alloc(8)
    for (const unixMs of [0, 1_796_581_814_041.6775, 2_000_000_000_000.999]) {
      writeNtpTimestamp(buffer, 0, unixMs)
      expect(Math.abs(readNtpTimestamp(buffer, 0) - unixMs)).toBeLessThanOrEqual(1000 / 2 ** 32 + 1e-6)
    }
  })

  it('a request is version 4, mode 3; an answer must be mode 4, not a kiss-o-death, and echo our transmit time', () => {
    const request = sntpRequest(1_796_581_814_041.5)
    expect(request.length).toBe(48)
    expect(request[0]).toBe(0b00_100_011)
    const answer = Buffer.alloc(48)
    answer[0] = 0b00_100_100
    answer[1] = 2
    answer.writeInt8(-20, 3)
    request.copy(answer, 24, 40, 48)
    writeNtpTimestamp(answer, 32, 1_796_581_814_050)
    writeNtpTimestamp(answer, 40, 1_796_581_814_051)
    const read = readSntpAnswer(answer, request)
    expect(read).toMatchObject({ precisionMs: 1000 / 2 ** 20 })
    expect('receiveUnixMs' in read && Math.abs(read.receiveUnixMs - 1_796_581_814_050) < 1e-3).toBe(true)
    const kiss = Buffer.from(answer)
    kiss[1] = 0
    kiss.write('RATE', 12, 'latin1')
    expect(readSntpAnswer(kiss, request)).toEqual({ refused: "kiss-o'-death RATE" })
    const other = Buffer.from(answer)
    other[31] = (other[31] as number) ^ 1
    expect(readSntpAnswer(other, request)).toMatchObject({ refused: expect.stringMatching(/another request/) })
    const client = Buffer.from(answer)
    client[0] = 0b00_100_011
    expect(readSntpAnswer(client, request)).toMatchObject({ refused: expect.stringMatching(/mode 3/) })
  })
})
