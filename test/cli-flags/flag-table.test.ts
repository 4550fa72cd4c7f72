import { describe, expect, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import * as parse from '../../src/cli/flags/parsers.js'
import {
  type FlagValues,
  applyFlags,
  boolean,
  choice,
  defineFlags,
  flagForIssue,
  oclifFlags,
  readFlags,
  repeated,
  string,
  validateWithFlags,
  value,
} from '../../src/cli/flags/table.js'
import { userErrorMessage } from '../helpers/rejection.js'

/** A small table of every kind of flag, as a command would write it. */
const table = defineFlags({
  url: string({ description: 'endpoint URL', path: 'endpoints.*.url' }),
  header: repeated(parse.headers, { description: 'header', path: 'endpoints.*.headers' }),
  rate: value(parse.number, { description: 'rate', path: 'load.rate' }),
  'connect-timeout': value(parse.secondsToMs, { description: 'seconds', path: 'timeouts.connectMs' }),
  api: choice(['chat', 'completions'], { description: 'API', path: 'endpoints.*.api' }),
  'fault-a': value(parse.number, { description: 'a', path: 'faults.a', issuePaths: ['faults'] }),
  'fault-b': value(parse.number, { description: 'b', path: 'faults.b', issuePaths: ['faults'] }),
  probe: boolean({ description: 'probe', path: 'compare.probe', toScenario: () => ({}) }),
  progress: boolean({ description: 'progress line', allowNo: true, default: true }),
  port: value(parse.integer, { description: 'port', default: '8000' }),
  out: string({ description: 'output folder' }),
})

describe('flag tables', () => {
  it('give oclif one flag per row, of the right kind, with the default only where the table has one', () => {
    const flags = oclifFlags(table)
    expect(Object.keys(flags)).toEqual(Object.keys(table))
    expect(flags.progress).toMatchObject({ type: 'boolean', allowNo: true, default: true })
    expect(flags.header).toMatchObject({ type: 'option', multiple: true })
    expect(flags.api).toMatchObject({ type: 'option', options: ['chat', 'completions'] })
    expect(flags.rate?.default).toBeUndefined()
    expect(flags.port).toMatchObject({ type: 'option', default: '8000' })
  })

  it('parse texts into typed values, leaving absent flags undefined', () => {
    const values = readFlags(table, { rate: '2.5', 'connect-timeout': '3', header: ['A: 1', 'B:2'], api: 'chat', progress: true, port: '8001' })
    expect(values).toEqual({ rate: 2.5, 'connect-timeout': 3000, header: { A: '1', B: '2' }, api: 'chat', progress: true, port: 8001 })
    expectTypeOf(values.rate).toEqualTypeOf<number | undefined>()
    expectTypeOf(values.api).toEqualTypeOf<'chat' | 'completions' | undefined>()
    expectTypeOf(values.progress).toEqualTypeOf<boolean>()
    expectTypeOf(values.port).toEqualTypeOf<number>()
    expectTypeOf(values.header).toEqualTypeOf<Record<string, string> | undefined>()
  })

  it('name the flag when its text does not parse', () => {
    expect(userErrorMessage(() => readFlags(table, { rate: 'soon' }))).toBe('--rate: "soon" is not a number')
    expect(userErrorMessage(() => readFlags(table, { rate: '' }))).toBe('--rate: "" is not a number')
    expect(userErrorMessage(() => readFlags(table, { header: ['no colon'] }))).toBe('--header: "no colon" must look like "Name: value"')
    expect(userErrorMessage(() => readFlags(table, { port: '80.5' }))).toBe('--port: "80.5" is not an integer')
  })

  it('set given values at their paths, on every element under *, and leave the rest alone', () => {
    const draft = { endpoints: [{ url: 'http://a', label: 'a' }, { url: 'http://b' }], load: { concurrency: 1 } }
    const values: FlagValues<typeof table> = { ...readFlags(table, { url: 'http://c', rate: '4', probe: true, progress: true, port: '1' }) }
    applyFlags(table, values, draft)
    expect(draft).toEqual({
      endpoints: [{ url: 'http://c', label: 'a' }, { url: 'http://c' }],
      load: { concurrency: 1, rate: 4 },
      compare: { probe: {} },
    })
  })

  it('map a schema issue path back to its flag: the longest path prefix, or the flags claiming a cross-field check', () => {
    expect(flagForIssue(table, ['endpoints', 3, 'url'])).toBe('--url')
    expect(flagForIssue(table, ['endpoints', 0, 'headers', 'X-Key'])).toBe('--header')
    expect(flagForIssue(table, ['timeouts', 'connectMs'])).toBe('--connect-timeout')
    expect(flagForIssue(table, ['load'])).toBeUndefined()
    expect(flagForIssue(table, ['faults'])).toBe('--fault-a, --fault-b')
    expect(flagForIssue(table, ['faults'], { 'fault-b': 0.7, progress: true, port: 1 } as FlagValues<typeof table>)).toBe('--fault-b')
  })

  it('validate a scenario from flags naming the flag, and one from a file naming the file and field', () => {
    const schema = z.object({ load: z.object({ rate: z.number().positive('must be > 0') }) })
    const values = readFlags(table, { rate: '-1' })
    const draft = applyFlags(table, values, {})
    expect(userErrorMessage(() => validateWithFlags(schema, draft, { table, values, source: 'flags' }))).toBe('--rate: must be > 0')
    expect(userErrorMessage(() => validateWithFlags(schema, draft, { table, values, source: 'my.yaml' }))).toBe('my.yaml: load.rate: must be > 0')
    expect(validateWithFlags(schema, { load: { rate: 1 } }, { table, values, source: 'flags' })).toEqual({ load: { rate: 1 } })
  })

  it('refuse a default on a flag that sets a scenario field (the schema holds the default), unless it says why', () => {
    expect(() => defineFlags({ seed: value(parse.integer, { description: 'seed', path: 'load.seed', default: '5' }) })).toThrow(/--seed sets load.seed/)
    expect(() =>
      defineFlags({ port: value(parse.integer, { description: 'port', path: 'port', default: '8000', defaultBecause: 'a fixed port to point clients at' }) }),
    ).not.toThrow()
  })
})

describe('shared parsers', () => {
  it('numbers: one rule each, the text quoted in the error', () => {
    expect(parse.number(' 1e3 ')).toBe(1000)
    expect(() => parse.number('Infinity')).toThrow('"Infinity" is not a number')
    expect(parse.integer('-3')).toBe(-3)
    expect(() => parse.integer('2.5')).toThrow('"2.5" is not an integer')
    expect(parse.positiveNumber('0.5')).toBe(0.5)
    expect(() => parse.positiveNumber('0')).toThrow('"0" is not a positive number')
    expect(() => parse.positiveInteger('0')).toThrow('"0" is not an integer >= 1')
    expect(parse.secondsToMs('1.5')).toBe(1500)
  })

  it('lists, headers, SLOs and token lengths', () => {
    expect(parse.commaList(' a, b,,c ')).toEqual(['a', 'b', 'c'])
    expect(parse.header('Authorization: Bearer x:y')).toEqual(['Authorization', 'Bearer x:y'])
    expect(parse.slo('ttft=500, tpot=50ms,e2el=9000')).toEqual({ ttftMs: 500, tpotMs: 50, e2eMs: 9000 })
    expect(() => parse.slo('ttft=fast')).toThrow('"ttft=fast" must look like METRIC<=MS')
    expect(parse.lengthSpec('uniform:1-4')).toEqual({ dist: 'uniform', min: 1, max: 4 })
    expect(parse.oneOf(['x', 'y'])('y')).toBe('y')
    expect(() => parse.oneOf(['x', 'y'])('z')).toThrow('"z" is not one of x, y')
  })
})
