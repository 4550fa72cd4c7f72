import { createSocket } from 'node:dgram'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { hostNowUnixMs } from '../../src/client/clock-offset.js'
import { measureTimeSource, parseTimeSource } from '../../src/client/clock-sources.js'
import { UserError } from '../../src/util/errors.js'
import { writeNtpTimestamp } from '../../src/client/sntp.js'
import { clockOffsetSchema } from '../../src/io/schema/shard.js'

/**
 * Clocks served on 127.0.0.1 that run a known amount ahead of this host's: the measured interval
 * must hold that amount (a bound the design guarantees, whatever the machine's load), and no
 * duration is asserted.
 */
const closers: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const close of closers.splice(0)) await close()
})

/** An SNTP server whose clock is `shiftMs` ahead of this host's (its receive and transmit stamps taken when they happen). */
async function sntpServer(shiftMs: number, answer: (request: Buffer) => Buffer | undefined = () => undefined): Promise<number> {
  const socket = createSocket('udp4')
  socket.on('message', (request, from) => {
    const receivedAt = hostNowUnixMs() + shiftMs
    const custom = answer(request)
    const reply = custom ?? Buffer.alloc(48)
    if (custom === undefined) {
      reply[0] = (0 << 6) | (4 << 3) | 4
      reply[1] = 2
      reply.writeInt8(-20, 3)
      request.copy(reply, 24, 40, 48)
      writeNtpTimestamp(reply, 32, receivedAt)
      writeNtpTimestamp(reply, 40, hostNowUnixMs() + shiftMs)
    }
    socket.send(reply, from.port, from.address)
  })
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
  closers.push(() => new Promise<void>((resolve) => socket.close(() => resolve())))
  return (socket.address() as AddressInfo).port
}

/** An HTTP server whose Date header is this host's clock plus `shiftMs`, read fresh for every answer. */
async function shiftedDateServer(shiftMs: number): Promise<string> {
  const server = createServer((_request, response) => {
    response.sendDate = false
    response.setHeader('date', new Date(hostNowUnixMs() + shiftMs).toUTCString())
    response.end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
}

const bounds = { deadlineMs: 5000, maxBytes: 1 << 20 }

describe('the shared time source', () => {
  it('ntp://: the offset interval holds the SNTP server’s shift', async () => {
    for (const shiftMs of [0, 1234.567, -98_765.4321]) {
      const port = await sntpServer(shiftMs)
      const measured = await measureTimeSource(parseTimeSource(`ntp://127.0.0.1:${port}`), bounds)
      expect(measured.source).toBe(`ntp://127.0.0.1:${port}`)
      expect(Math.abs(measured.offsetMs - shiftMs)).toBeLessThanOrEqual(measured.uncertaintyMs)
    }
  })

  it('ntp://: a server whose stamps are coarser than the precision it states (bounds that cross) still gives an offset shard.json accepts', async () => {
    // Stamps 3 ms apart, no wait between them, precision stated as a microsecond: T3 − T2 exceeds the round trip.
    const port = await sntpServer(0, (request) => {
      const reply = Buffer.alloc(48)
      reply[0] = (4 << 3) | 4
      reply[1] = 2
      reply.writeInt8(-20, 3)
      request.copy(reply, 24, 40, 48)
      const stampedAt = Math.floor(hostNowUnixMs())
      writeNtpTimestamp(reply, 32, stampedAt)
      writeNtpTimestamp(reply, 40, stampedAt + 3)
      return reply
    })
    const measured = clockOffsetSchema.parse(await measureTimeSource(parseTimeSource(`ntp://127.0.0.1:${port}`), bounds))
    expect(measured.uncertaintyMs).toBeGreaterThanOrEqual(0)
  })

  it("http://: the offset interval holds the shift of the server's Date header", async () => {
    for (const shiftMs of [0, 4321.5, -7_000_250]) {
      const url = await shiftedDateServer(shiftMs)
      // One round around the tick: the bound holds after any number (how far they narrow it is clock-offset.test.ts's, in virtual time).
      const measured = await measureTimeSource(parseTimeSource(url), bounds, { rounds: 1 })
      expect(Math.abs(measured.offsetMs - shiftMs)).toBeLessThanOrEqual(measured.uncertaintyMs)
    }
  })

  it('an SNTP server that refuses (kiss-o-death) or stays silent is one line naming the source', async () => {
    const kiss = await sntpServer(0, (request) => {
      const reply = Buffer.alloc(48)
      reply[0] = (4 << 3) | 4
      request.copy(reply, 24, 40, 48)
      reply.write('DENY', 12, 'latin1')
      return reply
    })
    await expect(measureTimeSource(parseTimeSource(`ntp://127.0.0.1:${kiss}`), bounds)).rejects.toThrow(
      /^timeSource ntp:\/\/127\.0\.0\.1:\d+: cannot read its clock \(kiss-o'-death DENY\)$/,
    )
    const silent = createSocket('udp4')
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve))
    closers.push(() => new Promise<void>((resolve) => silent.close(() => resolve())))
    const port = (silent.address() as AddressInfo).port
    await expect(measureTimeSource(parseTimeSource(`ntp://127.0.0.1:${port}`), { deadlineMs: 100, maxBytes: 1024 })).rejects.toThrow(/no answer within 100 ms/)
  })

  it('reads ntp:// and http(s):// and refuses anything else in one line', () => {
    expect(parseTimeSource('ntp://time.example')).toMatchObject({ kind: 'ntp', host: 'time.example', port: 123 })
    expect(parseTimeSource('https://user:secret@time.example/now?x=1')).toMatchObject({ kind: 'http', label: 'https://time.example/now' })
    expect(() => parseTimeSource('ftp://x')).toThrow(/neither ntp: nor http\(s\):/)
    expect(() => parseTimeSource('nonsense')).toThrow(/is not a URL/)
    // A refusal never repeats a user:password given in the URL.
    for (const text of ['ftp://user:hunter22@clock.example', 'ntp://user:hunter22@', 'http://user:hunter22@[bad']) {
      expect(() => parseTimeSource(text)).toThrow(UserError)
      try {
        parseTimeSource(text)
      } catch (error) {
        expect((error as Error).message).not.toContain('hunter22')
      }
    }
  })
})
