import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { CompareSummary } from '../../src/io/schema/compare.js'
import { ChartBook, escapeXml, isChartSvg, unsafeMarkup } from '../../src/report/chart-book.js'
import { intervalChart, lineChart } from '../../src/report/charts.js'
import { estimate, num, pct, plain, range, ratioChange, signed } from '../../src/report/format.js'
import { Reservoir, compareStepLayout } from '../../src/report/latencies.js'
import { createRenderer, TEMPLATE_DIR } from '../../src/report/render.js'
import { kneeOf } from '../../src/metrics/knee.js'
import { cdfPoints } from '../../src/report/sections/endpoints.js'
import { figureAgeInDays, sourcesAndStaleness } from '../../src/report/sections/methodology.js'
import { XSS_LABEL } from './fixtures.js'

describe('report number formatting', () => {
  it('keeps about three significant digits, groups thousands, and never prints -0', () => {
    expect(num(1234.5)).toBe('1,235')
    expect(num(41.23)).toBe('41.2')
    expect(num(8.256)).toBe('8.26')
    expect(num(0.0523)).toBe('0.052')
    expect(num(-0.0001, 2)).toBe('0.00')
    expect(num(null)).toBe('–')
    expect(plain(1)).toBe('1')
    expect(plain(0.5)).toBe('0.5')
    expect(pct(0.8541)).toBe('85.4%')
  })

  it('writes intervals beside their estimate, one value when both ends read the same', () => {
    expect(estimate(111.2, { low: 108.7, high: 116.0, confidence: 0.95 }, 'ms')).toBe('111 ms (95% CI 108.7–116.0)')
    expect(range(8, 8)).toBe('8')
    expect(range(4, 24)).toBe('4–24')
    expect(range(5, null)).toBe('5–∞')
    // Negative ends (a saving that is a loss) take the minus sign and "to", never "-1,229,913–-816,530".
    expect(range(-1_229_913, -816_530)).toBe('−1,229,913 to −816,530')
    expect(range(-2_000, 3_000)).toBe('−2,000 to 3,000')
    expect(range(-0.5, -0.25)).toBe('−0.50 to −0.25')
    expect(signed(-1.06, 'ms')).toBe('−1.06 ms')
    expect(ratioChange(1.161)).toBe('+16.1%')
  })
})

describe('latency CDFs from records', () => {
  it('keeps every value below the cap and a seeded, repeatable sample above it', () => {
    const exact = new Reservoir(10, 1)
    for (let i = 0; i < 10; i++) exact.add(i)
    expect(exact.sampled).toBe(false)
    expect([...exact.sorted()]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    const a = new Reservoir(100, 7)
    const b = new Reservoir(100, 7)
    for (let i = 0; i < 10_000; i++) {
      a.add(i)
      b.add(i)
    }
    expect(a.sampled).toBe(true)
    expect(a.count).toBe(10_000)
    expect([...a.sorted()]).toEqual([...b.sorted()])
    // A uniform sample of 0..9999: its median lies near 5000.
    expect(Math.abs((a.sorted()[50] as number) - 5000)).toBeLessThan(1500)
  })

  it('draws the empirical CDF at every half percent, from min to max', () => {
    const points = cdfPoints(Float64Array.from([10, 20, 30, 40, 50]))
    expect(points).toHaveLength(201)
    expect(points[0]).toEqual([10, 0])
    expect(points[100]).toEqual([30, 50])
    expect(points[200]).toEqual([50, 100])
  })

  it('finds the knee with compare’s rule (median TTFT within 3× the one-at-a-time value)', () => {
    const steps = [
      { kind: 'synchronous' as const, offeredRatePerS: 1, ttftP50Ms: 20 },
      { kind: 'throughput' as const, offeredRatePerS: null, ttftP50Ms: 900 },
      { kind: 'rate' as const, offeredRatePerS: 5, ttftP50Ms: 40 },
      { kind: 'rate' as const, offeredRatePerS: 9, ttftP50Ms: 300 },
    ]
    expect(kneeOf(steps)).toEqual({ ratePerS: 5, nextRatePerS: 9 })
  })

  it('places compare records in their operating point from the block layout, warm-up blocks left out', () => {
    const point = (label: string, order: string[][]) => ({ label, blockOrder: order, arms: [{ label: 'a' }, { label: 'b' }] })
    const summary = {
      saturation: null,
      operatingPoints: [
        point('low', [
          ['a', 'b'],
          ['b', 'a'],
        ]),
        point('high', [['b', 'a']]),
      ],
    } as unknown as CompareSummary
    // warm-up a, b; low: a b b a; warm-up a, b; high: b a
    const arms = ['a', 'b', 'a', 'b', 'b', 'a', 'a', 'b', 'b', 'a']
    const layout = compareStepLayout(summary, new Map(arms.map((arm, step) => [step, arm])))
    expect(layout?.warmup).toBe(true)
    expect([...(layout?.point ?? new Map())]).toEqual([
      [2, 'low'],
      [3, 'low'],
      [4, 'low'],
      [5, 'low'],
      [8, 'high'],
      [9, 'high'],
    ])
    // Counts that do not add up (an interrupted run): no layout, the caller pools per arm.
    expect(compareStepLayout(summary, new Map([[0, 'a']]))).toBeNull()
  })
})

describe('charts and escaping', () => {
  it('ECharts escapes every label it writes; the SVG gets a title and its axis names, and no namespace URL', () => {
    const book = new ChartBook()
    const chart = lineChart(book, {
      title: `TTFT of ${XSS_LABEL}`,
      xName: 'TTFT (ms)',
      yName: 'Requests at or below (%)',
      series: [
        {
          name: XSS_LABEL,
          points: [
            [1, 0],
            [2, 50],
            [3, 100],
          ],
        },
      ],
    })
    expect(isChartSvg(chart)).toBe(true)
    expect(chart.svg).not.toContain('<img')
    expect(chart.svg).toContain(escapeXml(XSS_LABEL))
    expect(chart.svg).toMatch(
      /^<svg class="chart" role="img" aria-label="[^"]+" data-kind="line" data-x-axis="TTFT \(ms\)" data-y-axis="Requests at or below \(%\)"/,
    )
    expect(chart.svg).toContain(`<title>TTFT of ${escapeXml(XSS_LABEL)}</title>`)
    expect(chart.svg).not.toMatch(/https?:\/\//)
    expect(unsafeMarkup(chart.svg)).toBeNull()
    // Category labels (axis ticks) too.
    const interval = intervalChart(book, { title: 't', xName: 'ms', yName: 'arm', rows: [{ label: XSS_LABEL, estimate: 1, low: 0, high: 2 }] })
    expect(interval.svg).not.toContain('<img')
  })

  it('numbers its charts per report, so the same input gives the same bytes', () => {
    const render = () =>
      lineChart(new ChartBook(), {
        title: 't',
        xName: 'x (ms)',
        yName: 'y (%)',
        series: [
          {
            name: 's',
            points: [
              [0, 0],
              [1, 1],
            ],
          },
        ],
      }).svg
    expect(render()).toBe(render())
  })

  it('refuses markup that could run or load, but not the same words as escaped text', () => {
    expect(unsafeMarkup('<svg><script>alert(1)</script></svg>')).not.toBeNull()
    expect(unsafeMarkup('<svg><rect onload="alert(1)"/></svg>')).not.toBeNull()
    expect(unsafeMarkup('<svg><image href="https://example.com/x.png"/></svg>')).not.toBeNull()
    expect(unsafeMarkup('<svg><rect style="fill:url(https://e.com/a)"/></svg>')).not.toBeNull()
    expect(unsafeMarkup('<svg><rect clip-path="url(#c1-clip)"/></svg>')).toBeNull()
    expect(unsafeMarkup('<svg aria-label="&lt;img src=x onerror=alert(1)&gt;"><text>&lt;img src=x onerror=alert(1)&gt;</text></svg>')).toBeNull()
  })

  it('templates never use triple-stash, and the svg helper inserts only charts made by charts.ts', () => {
    const files = [join(TEMPLATE_DIR, 'report.hbs'), ...readdirSync(join(TEMPLATE_DIR, 'partials')).map((f) => join(TEMPLATE_DIR, 'partials', f))]
    for (const file of files) {
      const text = readFileSync(file, 'utf8')
      expect(text, file).not.toContain('{{{')
      expect(text, file).not.toMatch(/\{\{&/)
      expect(text, file).not.toMatch(/<script/i)
      expect(text, file).not.toMatch(/(?:src|href)\s*=\s*["']?https?:/i)
    }
    const render = createRenderer()
    const forged = { kind: 'line', title: 't', svg: '<svg><script>alert(1)</script></svg>' }
    const model = {
      title: 'r',
      subtitle: '',
      generatedAt: '',
      tool: '',
      toc: [],
      alerts: [],
      executive: null,
      endpoints: { runs: null, cdfs: [{ chart: forged, caption: '', notes: [] }], curves: [], saturation: null, comparisons: [], warnings: [] },
      capacity: null,
      tco: null,
      plan: null,
      methodology: {
        metrics: { caption: '', columns: [], rows: [], note: null },
        aggregates: { caption: '', columns: [], rows: [], note: null },
        notes: [],
        intervals: [],
        sources: null,
        staleness: [],
        simulator: [],
      },
      appendix: { files: { caption: '', columns: [], rows: [], note: null }, notRendered: [], command: '' },
    }
    expect(() => render(model as never)).toThrow(/only charts made by/)
  })
})

describe('sources and staleness', () => {
  it('ages a figure dated by year, month, day or timestamp from its first day; none for no date or an unreadable one', () => {
    const now = new Date('2026-11-24T00:00:00Z')
    expect(figureAgeInDays('2026', now)).toBe(327) // 2026-01-01
    expect(figureAgeInDays('2026-11-20', now)).toBe(4)
    expect(figureAgeInDays('2026-11-20T18:30:00Z', now)).toBe(4)
    expect(figureAgeInDays('2026-12-01', now)).toBe(-7)
    expect(figureAgeInDays(null, now)).toBeNull()
    expect(figureAgeInDays('last spring', now)).toBeNull()
  })

  it('flags stale, ageing, undated and low-confidence figures', () => {
    const now = new Date('2026-11-24T00:00:00Z')
    expect(figureAgeInDays('2026-11', now)).toBe(23)
    const { sources, staleness } = sourcesAndStaleness(
      [
        { figure: 'fresh', value: '1', source: 's', date: '2026-10-01', confidence: 'high', foundIn: 'f' },
        { figure: 'old price', value: '2', source: 's', date: '2024-01-01', confidence: 'high', foundIn: 'f' },
        { figure: 'guess', value: '3', source: 's', date: '2026-11-01', confidence: 'assumption', foundIn: 'f' },
        { figure: 'undated A', value: '4', source: 's', date: null, confidence: null, foundIn: 'g' },
        { figure: 'undated B', value: '5', source: 's', date: null, confidence: null, foundIn: 'g' },
      ],
      now,
    )
    expect(sources.map((s) => s.tone)).toEqual([null, 'bad', 'warn', 'warn', 'warn'])
    expect(staleness.some((s) => s.includes('old price') && s.includes('stale'))).toBe(true)
    expect(staleness.some((s) => s.includes('guess') && s.includes('assumption'))).toBe(true)
    // Undated figures of one file are one line, not one each.
    expect(staleness.filter((s) => s.includes('undated')).length).toBe(1)
  })
})
