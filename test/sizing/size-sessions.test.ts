import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runSize } from '../../src/app/size.js'
import { sessionConfigSchema } from '../../src/io/schema/session.js'
import type { SizingResult } from '../../src/io/schema/sizing.js'
import { sizeStepSchema } from '../../src/io/schema/scenario.js'
import { traceConfigSchema } from '../../src/io/schema/trace.js'
import { formatSizing } from '../../src/cli/render/sizing.js'
import { expectOneLineError, runCli } from '../helpers/cli.js'
import { sectionText } from '../helpers/html.js'
import { reportHtml, writtenSizing } from '../helpers/size-cli.js'

const TRACE = 'data/traces/mooncake-synthetic.jsonl'
const work = mkdtempSync(join(tmpdir(), 'geopat-size-sessions-'))
const PROFILE = 'h100-sxm-llama-3.1-8b-bf16'
/** Sessions of 4 turns, exponential think times (fixed ones would keep a burst's sessions in step), a 500-token shared system prompt. */
const MIX = { turns: 4, thinkTimeS: { dist: 'exponential', mean: 2 }, systemPromptTokens: 500 } as const
const USER = 300
const ANSWER = 150
const SEARCH = { searches: 3, simulatedSeconds: 60 }

/** runSize on the mix, with the simulator's prefix caching on or off. */
function sizeMix(prefixCaching: 'on' | 'off'): Promise<SizingResult> {
  return runSize({
    step: sizeStepSchema.parse({ peakRequestsPerS: 50, ...SEARCH }),
    profile: PROFILE,
    inputTokens: USER,
    outputTokens: ANSWER,
    sessions: sessionConfigSchema.parse(MIX),
    prefixCaching,
    slo: { ttftMs: 500, tpotMs: 25 },
    seed: 1,
    outDir: join(work, `runsize-${prefixCaching}`),
  }).then((run) => run.result)
}

const SESSION_FLAGS = [
  '--turns',
  '4',
  '--think-time',
  'exponential:2',
  '--system-prompt-tokens',
  '500',
  '--input-tokens',
  String(USER),
  '--output-tokens',
  String(ANSWER),
]
const sizeArgs = (more: string[]) => ['size', '--profile', PROFILE, '--slo', 'ttft=500,tpot=25', '--peak-rps', '50', ...more]

/** `geopat size` on the mix with prefix caching on (shared by the tests below: the searches take seconds). */
const ON_OUT = join(work, 'cli-on')
const SEARCH_FLAGS = ['--searches', String(SEARCH.searches), '--sim-duration', String(SEARCH.simulatedSeconds)]
// Seconds of CPU (the high rates that caching allows): a loaded machine may take minutes, which the tests below allow.
const sizeOn = runCli(sizeArgs([...SESSION_FLAGS, '--prefix-caching', 'on', ...SEARCH_FLAGS, '--out', ON_OUT]), { timeoutMs: 240_000 })

describe('geopat size on a multi-turn session mix', () => {
  it('with prefix caching on, the mix serves more requests than single-turn prompts of the same lengths, and says why: the hit rate', async () => {
    const size = await sizeOn
    expect(size.exitCode, size.stderr).toBe(0)
    const endpoint = writtenSizing(ON_OUT).endpoints[0] as SizingResult['endpoints'][number]
    const traffic = endpoint.traffic as NonNullable<typeof endpoint.traffic>
    expect(traffic.shape).toBe('sessions')
    // The mean prompt per request, history included, worked out by hand: turn k sends 500 + k·(300 + 150) + 300 tokens.
    const prompts = [0, 1, 2, 3].map((k) => 500 + k * (USER + ANSWER) + USER)
    expect(traffic.promptTokensMean).toBeCloseTo(prompts.reduce((a, b) => a + b) / 4, 6)
    expect(traffic.requestsPerSession).toBe(4)
    expect(endpoint.capacityPerReplica.ratePerS.estimate).toBeCloseTo((traffic.sessionsPerS?.estimate as number) * 4, 9)
    expect(traffic.prefixHitRate as number).toBeGreaterThan(0)
    expect(traffic.prefixHitRate).toBeCloseTo(traffic.prefixHitTokens / traffic.prefixQueryTokens, 12)
    // The capacities differ beyond their intervals: the whole interval of the mix lies above the single-turn one.
    const single = traffic.singleTurn as NonNullable<typeof traffic.singleTurn>
    expect(endpoint.capacityPerReplica.ratePerS.low).toBeGreaterThan(single.ratePerS.high as number)
    expect(single.prefixHitRate).toBe(0)
    // One sentence, in the terminal and in the report, with both figures and the hit rate.
    const hit = `${((traffic.prefixHitRate as number) * 100).toFixed(0)}% of prompt tokens were served from the prefix cache`
    const figures = `${endpoint.capacityPerReplica.ratePerS.estimate.toFixed(2)} req/s per replica`
    const against = `against ${single.ratePerS.estimate.toFixed(2)} req/s for single-turn prompts of the same lengths`
    for (const part of [figures, against, hit, 'an assumption about the real server']) expect(size.stdout).toContain(part)
    const text = sectionText(await reportHtml(ON_OUT, join(work, 'report-on.html')), 'capacity')
    for (const part of [figures, against, hit]) expect(text).toContain(part)
  }, 240_000)

  it('with prefix caching off, nothing is reused and the two capacities agree within their intervals', async () => {
    const off = await sizeMix('off')
    const endpoint = off.endpoints[0] as SizingResult['endpoints'][number]
    const traffic = endpoint.traffic as NonNullable<typeof endpoint.traffic>
    const single = traffic.singleTurn as NonNullable<typeof traffic.singleTurn>
    expect(traffic.prefixCaching).toBe(false)
    expect(traffic.prefixHitRate).toBeNull()
    const mix = endpoint.capacityPerReplica.ratePerS
    expect(mix.low).toBeLessThanOrEqual(single.ratePerS.high as number)
    expect(single.ratePerS.low).toBeLessThanOrEqual(mix.high as number)
    // Without a shared prefix, caching on or off changes nothing for the single-turn prompts (same seeds, same runs).
    expect((await sizeOn).exitCode).toBe(0)
    expect(writtenSizing(ON_OUT).endpoints[0]?.traffic?.singleTurn?.ratePerS).toEqual(single.ratePerS)
  }, 240_000)

  it('refuses session flags that mean nothing here, each in one line naming the flag', async () => {
    const bad: Array<[string[], RegExp]> = [
      [['--think-time', '2'], /--think-time: only with --turns/],
      [['--turns', '4', '--think-time', 'soon'], /--think-time: .*invalid think time "soon"/],
      [['--turns', '4', '--think-time', 'uniform:5-2'], /--think-time: .*min must be <= max/],
      [['--turns', '0'], /--turns/],
      [['--turns', '4', '--max-context-tokens', '0'], /--max-context-tokens/],
      [['--turns', '4', '--system-prompt-tokens', '-5'], /--system-prompt-tokens/],
      [['--turns', '4', '--prefix-caching', 'maybe'], /prefix-caching/],
      [['--trace-format', 'mooncake'], /--trace-format: only with --trace/],
      [['--trace', TRACE, '--turns', '4'], /--trace: the trace gives every request its lengths/],
      [['--trace', join(work, 'no-such-trace.jsonl')], /no-such-trace\.jsonl/],
    ]
    for (const [flags, rule] of bad) expect(expectOneLineError(await runCli(sizeArgs([...flags, '--out', join(work, 'bad')])))).toMatch(rule)
    const measured = await runCli(['size', '--from', work, '--peak-rps', '5', '--gpus-per-replica', '1', '--turns', '4'])
    expect(expectOneLineError(measured)).toMatch(/--turns: only with --profile/)
  })
})

describe('geopat size on a trace', () => {
  it('searches the speed the trace is sent at, its lengths and hash ids as they are, and says the hit rate beside the reuse the ids imply', async () => {
    const { result } = await runSize({
      step: sizeStepSchema.parse({ peakRequestsPerS: 20, searches: 2 }),
      profile: PROFILE,
      trace: traceConfigSchema.parse({ file: TRACE }),
      prefixCaching: 'on',
      slo: { ttftMs: 500, tpotMs: 25 },
      seed: 1,
      outDir: join(work, 'trace'),
    })
    const endpoint = result.endpoints[0] as SizingResult['endpoints'][number]
    const traffic = endpoint.traffic as NonNullable<typeof endpoint.traffic>
    const trace = traffic.trace as NonNullable<typeof traffic.trace>
    // Recomputed from the file: its own rate ((n − 1) rows over its span) and the reuse of its hash ids
    // (a block counts when it is whole and the same chain of ids was whole in an earlier row).
    const rows = readFileSync(TRACE, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { timestamp: number; input_length: number; hash_ids: number[] })
      .sort((a, b) => a.timestamp - b.timestamp)
    const spanS = ((rows.at(-1)?.timestamp as number) - (rows[0]?.timestamp as number)) / 1000
    expect(trace.ownRatePerS).toBeCloseTo((rows.length - 1) / spanS, 9)
    const seen = new Set<string>()
    let input = 0
    let reused = 0
    for (const row of rows) {
      input += row.input_length
      let chain = ''
      let hitting = true
      for (const id of row.hash_ids.slice(0, Math.floor(row.input_length / 512))) {
        chain += `${id}/`
        hitting &&= seen.has(chain)
        if (hitting) reused += 512
        seen.add(chain)
      }
    }
    expect(trace.impliedPrefixReuse).toBeCloseTo(reused / input, 9)
    expect(traffic.shape).toBe('trace')
    expect(traffic.promptTokensMean).toBeCloseTo(input / rows.length, 9)
    expect(trace.speedup.estimate * trace.ownRatePerS).toBeCloseTo(endpoint.capacityPerReplica.ratePerS.estimate, 9)
    // The simulator's hit rate at the capacity found is the reuse the ids imply, within 5%.
    expect(Math.abs((traffic.prefixHitRate as number) - reused / input)).toBeLessThan(0.05 * (reused / input))
    const sentence = formatSizing(result)
    expect(sentence).toContain(`the trace sent ×${trace.speedup.estimate.toFixed(2)} its own pace`)
    expect(sentence).toContain(`its hash ids imply ${((reused / input) * 100).toFixed(0)}%`)
  }, 60_000)
})
