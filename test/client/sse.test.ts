import { describe, expect, it } from 'vitest'
import { ServerSentEventParser } from '../../src/client/sse.js'

function parseAll(pieces: Buffer[]): Array<{ event: string; data: string }> {
  const parser = new ServerSentEventParser()
  const events = pieces.flatMap((piece) => parser.push(piece))
  events.push(...parser.end())
  return events.map(({ event, data }) => ({ event, data }))
}

const STREAM = Buffer.from(
  '\uFEFF: comment line\r\n' +
    'data: {"a":"héllo 世界 🙂"}\r\n\r\n' +
    'data:{"b":2}\n\n' +
    'event: custom\rdata: line one\rdata: line two\r\r' +
    'id: 7\ndata: [DONE]\n\n',
  'utf8',
)

const EXPECTED = [
  { event: 'message', data: '{"a":"héllo 世界 🙂"}' },
  { event: 'message', data: '{"b":2}' },
  { event: 'custom', data: 'line one\nline two' },
  { event: 'message', data: '[DONE]' },
]

describe('ServerSentEventParser', () => {
  it('parses LF, CRLF and CR line ends, comments, BOM, data with and without the space, multi-line data', () => {
    expect(parseAll([STREAM])).toEqual(EXPECTED)
  })

  it('gives the same events however the bytes are split, also inside a multi-byte character', () => {
    for (let cut = 1; cut < STREAM.length; cut++) {
      expect(parseAll([STREAM.subarray(0, cut), STREAM.subarray(cut)])).toEqual(EXPECTED)
    }
  })

  it('gives the same events when fed one byte at a time', () => {
    const bytes = Array.from(STREAM, (b) => Buffer.from([b]))
    expect(parseAll(bytes)).toEqual(EXPECTED)
  })

  it('treats CR at the end of one read and LF at the start of the next as one line end', () => {
    const events = parseAll([Buffer.from('data: x\r'), Buffer.from('\ndata: y\r\n\r\n')])
    expect(events).toEqual([{ event: 'message', data: 'x\ny' }])
  })

  it('dispatches a last event that the server did not end with a blank line', () => {
    expect(parseAll([Buffer.from('data: {"c":3}')])).toEqual([{ event: 'message', data: '{"c":3}' }])
  })

  it('returns several events from one read', () => {
    const parser = new ServerSentEventParser()
    expect(parser.push(Buffer.from('data: 1\n\ndata: 2\n\ndata: 3\n\n'))).toHaveLength(3)
  })

  it('ignores events without data and unknown fields', () => {
    expect(parseAll([Buffer.from('event: ping\n\nretry: 10\nfoo: bar\ndata: z\n\n')])).toEqual([{ event: 'message', data: 'z' }])
  })
})
