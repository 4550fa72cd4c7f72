import { describe, expect, it } from 'vitest'
import { csvCell, csvTable } from '../../src/io/output/csv.js'
import { forTerminal } from '../../src/util/terminal-text.js'
import { redactAndCut, redactText, secretList } from '../../src/util/redact.js'
import { readChunk } from '../../src/client/openai.js'

describe('forTerminal (#15.9)', () => {
  it('removes escape sequences and shows other control characters as visible escapes', () => {
    const evil = 'a\u001b]8;;http://x\u0007link\u001b]8;;\u0007b\u001b[2J\u001b[31mc\u009b1md\u0007e\u0000f\u202eg\rh'
    const safe = forTerminal(evil)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: asserts that no terminal control character survives
    expect(safe).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202e]/)
    expect(safe).toBe('alinkbcd\\x07e\\x00f\\u202eg\\x0dh')
  })

  it('keeps line feeds and tabs in multi-line output only', () => {
    expect(forTerminal('a\n\tb\r', { multiline: true })).toBe('a\n\tb\\x0d')
    expect(forTerminal('a\n\tb')).toBe('a\\x0a\\x09b')
  })
})

describe('csvCell (#15.9)', () => {
  it('defuses text that a spreadsheet would run as a formula', () => {
    for (const text of ['=HYPERLINK("http://evil")', '+1+2', '-2+3', '@SUM(A1)', '\tx', '\rx']) expect(csvCell(text).replace(/^"/, '')).toMatch(/^'/)
    expect(csvCell('=1,2')).toBe(`"'=1,2"`)
    expect(csvCell('plain')).toBe('plain')
  })

  it('keeps numbers, negative ones included, as numbers', () => {
    expect(csvCell(-1.5)).toBe('-1.5000')
    expect(csvCell(-3)).toBe('-3')
    expect(csvTable(['a', 'b'], [[-0.25, '-x']])).toBe(`a,b\n-0.2500,'-x\n`)
  })
})

describe('redaction (#15.2)', () => {
  const secrets = secretList(['the-api-key-0123456789', 'header-value-abcdef', 'ab', undefined])

  it('ignores values too short to be secrets and puts longer ones first', () => {
    expect(secrets).toEqual(['the-api-key-0123456789', 'header-value-abcdef'])
  })

  it('redacts before cutting, so a secret across the cut leaves no prefix', () => {
    const text = `${'p'.repeat(90)}the-api-key-0123456789 tail`
    const cut = redactAndCut(text, secrets, 100)
    expect(cut).not.toContain('the-api-')
    expect(cut.startsWith('p'.repeat(90))).toBe(true)
  })

  it('redacts header values, key-shaped tokens, and the start of a secret at the end of a text', () => {
    expect(redactText('got header-value-abcdef back', secrets)).toBe('got [redacted] back')
    expect(redactText('Authorization: Bearer abcdefgh12345 ok', [])).toBe('Authorization: Bearer [redacted] ok')
    expect(redactText('key sk-proj-abcdefghij1234 ok', [])).toBe('key [redacted] ok')
    expect(redactText('cut by the server: the-api-key-01', secrets)).toBe('cut by the server: [redacted]')
  })

  it('redacts the credential of an Authorization header when a server echoes it without its scheme', () => {
    const bearer = secretList(['Bearer q7Zt9wXvLm'])
    expect(redactText('invalid token q7Zt9wXvLm', bearer)).toBe('invalid token [redacted]')
    const basic = secretList([`Basic ${Buffer.from('alice:pa55w0rd!').toString('base64')}`])
    expect(redactText('user alice:pa55w0rd! refused', basic)).toBe('user [redacted] refused')
    expect(redactText('password pa55w0rd! refused', basic)).toBe('password [redacted] refused')
  })
})

describe('finish reasons from a server', () => {
  const chunk = (finishReason: string): string => JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: finishReason }] })

  it('keeps a word as sent and anything else out of the records', () => {
    expect(readChunk(chunk('tool_calls')).finishReason).toBe('tool_calls')
    expect(readChunk(chunk('stop: your key q7Zt9wXvLm was echoed')).finishReason).toBe('unrecognized')
    expect(readChunk(chunk('x'.repeat(1_000_000))).finishReason).toBe('unrecognized')
  })
})
