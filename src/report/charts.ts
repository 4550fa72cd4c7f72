import { createRequire } from 'node:module'
import type { EChartsOption } from 'echarts'
import { num } from './format.js'

// ECharts' one-file CommonJS build: the same library as its ES modules, which are hundreds of files
// that take ~0.5 s of CPU to load at every start of the CLI (this one, ~0.1 s).
const echarts = createRequire(import.meta.url)('echarts') as typeof import('echarts')

/**
 * Charts rendered to SVG strings with Apache ECharts' server-side renderer, to be inlined in the
 * report: no script, no font or image fetched, animation off, the same input giving the same
 * bytes. ECharts escapes every text it writes (titles, axis names, legend and category labels);
 * `finish` checks the result anyway and refuses anything that could run or load.
 */

/** An SVG made here: the only HTML the templates insert unescaped (through the `svg` helper). */
export interface ChartSvg {
  readonly kind: ChartKind
  readonly title: string
  readonly svg: string
}
export type ChartKind = 'line' | 'scatter' | 'interval' | 'bar' | 'gantt' | 'graph'

const made = new WeakSet<ChartSvg>()

/**
 * Text widths for ECharts' layout (legends, truncated labels, axis-name gaps). Without a canvas it
 * measures with Helvetica's widths, narrower than the sans-serif fonts a reader's machine may fall
 * back to (DejaVu Sans on Linux is ~12% wider), and legend entries then overlap. These widths are
 * DejaVu's, so layout leaves room for any common sans-serif.
 */
export function measureTextWidth(text: string, font?: string): number {
  const size = Number(/(\d+(?:\.\d+)?)px/.exec(font ?? '')?.[1] ?? 12)
  const bold = /bold|[6-9]00/.test(font ?? '') ? 1.08 : 1
  let width = 0
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0
    let em: number
    if (char === ' ') em = 0.32
    else if (/[il.,:;'|!]/.test(char)) em = 0.3
    else if (/[fjrt()[\]{}-]/.test(char)) em = 0.4
    else if (/[mwMW]/.test(char)) em = 0.9
    else if (/[A-Z]/.test(char)) em = 0.7
    else if (/[0-9]/.test(char)) em = 0.64
    else if (code < 0x2000) em = 0.6
    else em = 1
    width += em * size
  }
  return width * bold
}

echarts.setPlatformAPI({ measureText: (text: string, font?: string) => ({ width: measureTextWidth(text, font) }) })

export function isChartSvg(value: unknown): value is ChartSvg {
  return typeof value === 'object' && value !== null && made.has(value as ChartSvg)
}

/** A fixed palette (colour-blind-safe Okabe–Ito order), so colours do not depend on ECharts' theme. */
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442']

const FONT = 'Helvetica, Arial, sans-serif'
const WIDTH = 720

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string)
}

/** Numbering of the charts of one report: ECharts' own ids count per process, these per report. */
export class ChartBook {
  private count = 0

  render(kind: ChartKind, title: string, axes: { x: string; y: string } | null, option: EChartsOption, size: { width?: number; height?: number } = {}): ChartSvg {
    const width = size.width ?? WIDTH
    const height = size.height ?? 340
    const chart = echarts.init(null, undefined, { renderer: 'svg', ssr: true, width, height })
    let svg: string
    try {
      chart.setOption({
        animation: false,
        backgroundColor: '#ffffff',
        color: PALETTE,
        textStyle: { fontFamily: FONT, fontSize: 12, color: '#222' },
        title: { text: title, left: 'center', top: 4, textStyle: { fontSize: 14, fontWeight: 'bold', color: '#111' } },
        ...option,
      })
      svg = chart.renderToSVGString()
    } finally {
      chart.dispose()
    }
    const index = ++this.count
    return finish(kind, title, axes, svg, index)
  }
}

/**
 * Makes ECharts' SVG fit for inlining: no namespace URLs (an inline <svg> needs none, and the report
 * holds no URL of its own), report-local ids, a <title>, and the axis names as data for tests and
 * screen readers. Throws when the markup holds anything that could run or load.
 */
function finish(kind: ChartKind, title: string, axes: { x: string; y: string } | null, raw: string, index: number): ChartSvg {
  // zrender numbers its CSS classes and clip paths per process: renumber them per chart.
  const renamed = new Map<string, string>()
  let svg = raw
    .replace(/\s+xmlns(:xlink)?="[^"]*"/g, '')
    .replace(/\bzr\d+-([a-z]+)-?(\d+)\b/g, (token: string, kind: string) => {
      let name = renamed.get(token)
      if (!name) {
        name = `c${index}-${kind}${renamed.size}`
        renamed.set(token, name)
      }
      return name
    })
    .replace(/\n/g, '')
  const attributes = [
    'class="chart"',
    'role="img"',
    `aria-label="${escapeXml(title)}"`,
    `data-kind="${kind}"`,
    ...(axes ? [`data-x-axis="${escapeXml(axes.x)}"`, `data-y-axis="${escapeXml(axes.y)}"`] : []),
  ].join(' ')
  svg = svg.replace(/^<svg\b([^>]*)>/, (_match, rest: string) => `<svg ${attributes}${rest}><title>${escapeXml(title)}</title>`)
  const unsafe = unsafeMarkup(svg)
  if (unsafe) throw new Error(`chart "${title}": the SVG holds markup that could run or load something (${unsafe})`)
  const chart: ChartSvg = { kind, title, svg }
  made.add(chart)
  return chart
}

/**
 * The first tag (or style sheet rule) of an SVG string that could run a script or load anything:
 * script, foreignObject, image, a, use, any on* handler, href, url() to anything but a local #id,
 * @import. Text between tags is not looked at: ECharts escapes it, so it holds no '<'.
 */
export function unsafeMarkup(svg: string): string | null {
  for (const match of svg.matchAll(/<[^>]*>/g)) {
    const tag = match[0]
    const name = /^<\/?\s*([^\s/>]+)/.exec(tag)?.[1] ?? ''
    if (/^(script|foreignObject|image|a|use|iframe|object|embed)$/i.test(name)) return tag.slice(0, 60)
    for (const attribute of tag.matchAll(/\s([^\s="'/>]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>]+))?/g)) {
      const key = attribute[1] ?? ''
      const value = attribute[2] ?? ''
      if (/^on/i.test(key) || /(^|:)href$/i.test(key)) return `${name} ${key}`
      if (/url\(\s*['"]?(?!#)|javascript:|expression\(/i.test(value)) return `${name} ${key}`
    }
  }
  for (const style of svg.matchAll(/<style[^>]*>([\s\S]*?)<\/style>/gi)) {
    if (/@import|url\(\s*['"]?(?!#)|expression\(/i.test(style[1] ?? '')) return 'style sheet'
  }
  return null
}

// ---------------------------------------------------------------------------------------------
// The chart types the report uses.

export interface LineSeries {
  name: string
  points: Array<[number, number]>
  dashed?: boolean
  /** Points to label on the line (the knee). */
  marks?: Array<{ x: number; y: number; label: string }>
  symbols?: boolean
}

const axisName = (name: string, gap: number) => ({ name, nameLocation: 'middle' as const, nameGap: gap, nameTextStyle: { fontSize: 12, color: '#222' } })

function axisLabel(formatter?: (value: number) => string) {
  return { color: '#444', fontSize: 11, hideOverlap: true, ...(formatter ? { formatter } : {}) }
}

/** Category labels: long ones are cut to the width given (the full text is in the tables). */
function categoryLabel(width: number) {
  return { color: '#444', fontSize: 11, width, overflow: 'truncate' as const }
}

const trimmed = new Intl.NumberFormat('en-US', { maximumFractionDigits: 3, useGrouping: true })

/** Axis ticks: no trailing zeros ("80", "2.5"), k and M past ten thousand. */
const compactNumber = (value: number): string => {
  const magnitude = Math.abs(value)
  if (magnitude >= 1_000_000) return `${trimmed.format(Number((value / 1_000_000).toPrecision(4)))}M`
  if (magnitude >= 10_000) return `${trimmed.format(Number((value / 1000).toPrecision(4)))}k`
  return trimmed.format(Number(value.toPrecision(6)))
}

function legend(names: string[]) {
  return { type: 'plain' as const, bottom: 0, left: 'center', data: names, textStyle: { fontSize: 11 }, itemWidth: 18, itemHeight: 8, itemGap: 20 }
}

function legendRows(names: string[], width = WIDTH): number {
  const total = names.reduce((sum, n) => sum + Math.min(n.length, 60) * 7.5 + 50, 0)
  return Math.max(1, Math.ceil(total / (width - 40)))
}

/** Lines over two value (or log) axes: CDFs, throughput–latency curves. */
export function lineChart(
  book: ChartBook,
  spec: {
    title: string
    xName: string
    yName: string
    series: LineSeries[]
    xLog?: boolean
    yLog?: boolean
    yMax?: number
    xMin?: number
    yMin?: number
    step?: boolean
    /** A category x axis (months): points are [category index, value]. */
    xCategories?: string[]
  },
): ChartSvg {
  const names = spec.series.map((s) => s.name)
  const rows = legendRows(names)
  const height = 320 + rows * 18
  const option: EChartsOption = {
    grid: { left: 78, right: 28, top: 44, bottom: 58 + rows * 18 },
    legend: legend(names),
    xAxis: spec.xCategories
      ? { type: 'category', data: spec.xCategories, boundaryGap: false, ...axisName(spec.xName, 28), axisLabel: categoryLabel(80) }
      : { type: spec.xLog ? 'log' : 'value', ...axisName(spec.xName, 28), scale: true, ...(spec.xMin !== undefined ? { min: spec.xMin } : {}), axisLabel: axisLabel(compactNumber), splitLine: { lineStyle: { color: '#e6e6e6' } } },
    yAxis: {
      type: spec.yLog ? 'log' : 'value',
      ...axisName(spec.yName, 56),
      ...(spec.yMax !== undefined ? { max: spec.yMax } : {}),
      ...(spec.yMin !== undefined ? { min: spec.yMin } : {}),
      axisLabel: axisLabel(compactNumber),
      splitLine: { lineStyle: { color: '#e6e6e6' } },
    },
    series: spec.series.map((s, i) => ({
      type: 'line' as const,
      name: s.name,
      data: s.points,
      showSymbol: s.symbols ?? false,
      symbolSize: 5,
      ...(spec.step ? { step: 'end' as const } : {}),
      lineStyle: { width: 1.6, type: s.dashed ? ('dashed' as const) : ('solid' as const), color: PALETTE[i % PALETTE.length] },
      itemStyle: { color: PALETTE[i % PALETTE.length] },
      ...(s.marks && s.marks.length > 0
        ? {
            markPoint: {
              symbol: 'pin',
              symbolSize: 34,
              data: s.marks.map((m) => ({ name: m.label, coord: [m.x, m.y], value: m.label, label: { formatter: m.label, fontSize: 9, color: '#fff' } })),
            },
          }
        : {}),
    })),
  }
  return book.render('line', spec.title, { x: spec.xName, y: spec.yName }, option, { height })
}

/** Points over two value axes, with optional horizontal and vertical reference lines. */
export function scatterChart(
  book: ChartBook,
  spec: {
    title: string
    xName: string
    yName: string
    series: Array<{ name: string; points: Array<[number, number]> }>
    hLines?: Array<{ y: number; label: string }>
    vLines?: Array<{ x: number; label: string }>
    yMin?: number
    yMax?: number
  },
): ChartSvg {
  const names = spec.series.map((s) => s.name)
  const rows = legendRows(names)
  const markLine = {
    silent: true,
    symbol: 'none',
    lineStyle: { color: '#555', type: 'dashed' as const, width: 1 },
    label: { fontSize: 10, color: '#333', position: 'insideEndTop' as const },
    data: [
      ...(spec.hLines ?? []).map((l) => ({ yAxis: l.y, label: { formatter: l.label } })),
      ...(spec.vLines ?? []).map((l) => ({ xAxis: l.x, label: { formatter: l.label } })),
    ],
  }
  const option: EChartsOption = {
    grid: { left: 78, right: 28, top: 44, bottom: 58 + rows * 18 },
    legend: legend(names),
    xAxis: { type: 'value', scale: true, ...axisName(spec.xName, 28), axisLabel: axisLabel(compactNumber), splitLine: { lineStyle: { color: '#e6e6e6' } } },
    yAxis: {
      type: 'value',
      ...axisName(spec.yName, 56),
      ...(spec.yMin !== undefined ? { min: spec.yMin } : {}),
      ...(spec.yMax !== undefined ? { max: spec.yMax } : {}),
      axisLabel: axisLabel(compactNumber),
      splitLine: { lineStyle: { color: '#e6e6e6' } },
    },
    series: spec.series.map((s, i) => ({
      type: 'scatter' as const,
      name: s.name,
      data: s.points,
      symbolSize: 6,
      itemStyle: { color: PALETTE[i % PALETTE.length], opacity: 0.8 },
      ...(i === 0 && markLine.data.length > 0 ? { markLine } : {}),
    })),
  }
  return book.render('scatter', spec.title, { x: spec.xName, y: spec.yName }, option, { height: 320 + rows * 18 })
}

export interface IntervalRow {
  label: string
  estimate: number
  low: number
  high: number
}

/**
 * Estimates with their intervals, one row per category (a horizontal forest plot): the CC overhead
 * split, contrasts. A dashed line at `reference` (0 for differences, 1 for ratios).
 */
export function intervalChart(book: ChartBook, spec: { title: string; xName: string; yName: string; rows: IntervalRow[]; reference?: number }): ChartSvg {
  const categories = spec.rows.map((r) => r.label)
  const data = spec.rows.map((r, i) => [i, r.low, r.high, r.estimate])
  const option: EChartsOption = {
    grid: { left: 190, right: 36, top: 44, bottom: 52 },
    xAxis: { type: 'value', scale: true, ...axisName(spec.xName, 28), axisLabel: axisLabel(compactNumber), splitLine: { lineStyle: { color: '#e6e6e6' } } },
    yAxis: { type: 'category', data: categories, inverse: true, ...axisName(spec.yName, 176), axisLabel: categoryLabel(168), axisTick: { show: false } },
    series: [
      {
        type: 'custom',
        name: 'interval',
        renderItem: (_params, api) => {
          const row = api.value(0) as number
          const low = api.coord([api.value(1), row]) as number[]
          const high = api.coord([api.value(2), row]) as number[]
          const cap = 6
          const stroke = { stroke: PALETTE[0], lineWidth: 2 }
          return {
            type: 'group',
            children: [
              { type: 'line', shape: { x1: low[0], y1: low[1], x2: high[0], y2: high[1] }, style: stroke },
              { type: 'line', shape: { x1: low[0], y1: (low[1] as number) - cap, x2: low[0], y2: (low[1] as number) + cap }, style: stroke },
              { type: 'line', shape: { x1: high[0], y1: (high[1] as number) - cap, x2: high[0], y2: (high[1] as number) + cap }, style: stroke },
            ],
          }
        },
        encode: { x: [1, 2], y: 0 },
        data,
        ...(spec.reference !== undefined
          ? { markLine: { silent: true, symbol: 'none', lineStyle: { color: '#777', type: 'dashed' as const }, label: { show: false }, data: [{ xAxis: spec.reference }] } }
          : {}),
      },
      {
        type: 'scatter',
        name: 'estimate',
        data: spec.rows.map((r, i) => [r.estimate, i]),
        symbolSize: 9,
        itemStyle: { color: PALETTE[1] },
        label: { show: true, position: 'top', fontSize: 10, color: '#222', formatter: (p) => num((p.value as number[])[0] as number) },
      },
    ],
  }
  return book.render('interval', spec.title, { x: spec.xName, y: spec.yName }, option, { height: 96 + spec.rows.length * 42 })
}

/** A tornado: per input, the output's swing below and above the base case (horizontal bars). */
export function tornadoChart(
  book: ChartBook,
  spec: { title: string; xName: string; yName: string; base: number; rows: Array<{ label: string; low: number; high: number }> },
): ChartSvg {
  const rows = [...spec.rows].sort((a, b) => Math.abs(b.high - b.low) - Math.abs(a.high - a.low))
  const option: EChartsOption = {
    grid: { left: 170, right: 36, top: 44, bottom: 74 },
    legend: legend(['input at its low value', 'input at its high value']),
    xAxis: { type: 'value', scale: true, ...axisName(spec.xName, 28), axisLabel: axisLabel(compactNumber), splitLine: { lineStyle: { color: '#e6e6e6' } } },
    yAxis: { type: 'category', inverse: true, data: rows.map((r) => r.label), ...axisName(spec.yName, 156), axisLabel: categoryLabel(150), axisTick: { show: false } },
    series: [
      {
        type: 'bar',
        name: 'input at its low value',
        stack: 'swing',
        data: rows.map((r) => r.low - spec.base),
        itemStyle: { color: PALETTE[0] },
        markLine: { silent: true, symbol: 'none', lineStyle: { color: '#555', type: 'dashed' as const }, label: { show: false }, data: [{ xAxis: 0 }] },
      },
      { type: 'bar', name: 'input at its high value', stack: 'swing2', barGap: '-100%', data: rows.map((r) => r.high - spec.base), itemStyle: { color: PALETTE[1] } },
    ],
  }
  // Bars are drawn as differences from the base; the axis shows them as absolute values.
  ;(option.xAxis as { axisLabel: { formatter: (v: number) => string } }).axisLabel.formatter = (v: number) => compactNumber(v + spec.base)
  return book.render('bar', spec.title, { x: spec.xName, y: spec.yName }, option, { height: 130 + rows.length * 30 })
}

/** Stacked bars over categories (the compliance-tax breakdown, capacity by month). */
export function stackedBarChart(
  book: ChartBook,
  spec: { title: string; xName: string; yName: string; categories: string[]; series: Array<{ name: string; values: number[] }>; horizontal?: boolean },
): ChartSvg {
  const names = spec.series.map((s) => s.name)
  const rows = legendRows(names)
  const category = { type: 'category' as const, data: spec.categories, axisLabel: categoryLabel(150), axisTick: { show: false } }
  const value = { type: 'value' as const, axisLabel: axisLabel(compactNumber), splitLine: { lineStyle: { color: '#e6e6e6' } } }
  const option: EChartsOption = {
    grid: { left: spec.horizontal ? 170 : 78, right: 28, top: 44, bottom: 58 + rows * 18 },
    legend: legend(names),
    xAxis: spec.horizontal ? { ...value, ...axisName(spec.xName, 28) } : { ...category, ...axisName(spec.xName, 28) },
    yAxis: spec.horizontal ? { ...category, inverse: true, ...axisName(spec.yName, 156) } : { ...value, ...axisName(spec.yName, 56) },
    series: spec.series.map((s, i) => ({ type: 'bar' as const, name: s.name, stack: 'total', data: s.values, itemStyle: { color: PALETTE[i % PALETTE.length] } })),
  }
  const height = spec.horizontal ? 110 + rows * 18 + spec.categories.length * 30 : 320 + rows * 18
  return book.render('bar', spec.title, { x: spec.xName, y: spec.yName }, option, { height })
}

/** A Gantt chart: one bar per row from a start to an end month index (stacked bars, the first invisible). */
export function ganttChart(
  book: ChartBook,
  spec: { title: string; xName: string; yName: string; months: string[]; rows: Array<{ label: string; start: number; end: number; group: string }>; markers?: Array<{ month: number; label: string }> },
): ChartSvg {
  const groups = [...new Set(spec.rows.map((r) => r.group))]
  const option: EChartsOption = {
    grid: { left: 210, right: 28, top: 44, bottom: 58 + legendRows(groups) * 18 },
    legend: legend(groups),
    xAxis: {
      type: 'value',
      min: 0,
      max: Math.max(1, spec.months.length),
      interval: Math.max(1, Math.ceil(spec.months.length / 12)),
      ...axisName(spec.xName, 28),
      axisLabel: axisLabel((v) => spec.months[Math.round(v)] ?? ''),
      splitLine: { lineStyle: { color: '#eeeeee' } },
    },
    yAxis: { type: 'category', inverse: true, data: spec.rows.map((r) => r.label), ...axisName(spec.yName, 196), axisLabel: categoryLabel(190), axisTick: { show: false } },
    series: [
      { type: 'bar', name: '\u200b', stack: 'gantt', silent: true, data: spec.rows.map((r) => r.start), itemStyle: { color: 'transparent' }, barWidth: 10 },
      ...groups.map((group, i) => ({
        type: 'bar' as const,
        name: group,
        stack: 'gantt',
        barWidth: 10,
        data: spec.rows.map((r) => (r.group === group ? Math.max(0.25, r.end - r.start) : 0)),
        itemStyle: { color: PALETTE[i % PALETTE.length] },
        ...(i === 0 && spec.markers && spec.markers.length > 0
          ? {
              markLine: {
                silent: true,
                symbol: 'none',
                lineStyle: { color: '#b00020', type: 'dashed' as const },
                label: { fontSize: 9, color: '#b00020', position: 'insideEndTop' as const },
                data: spec.markers.map((m) => ({ xAxis: m.month, label: { formatter: m.label } })),
              },
            }
          : {}),
      })),
    ],
  }
  return book.render('gantt', spec.title, { x: spec.xName, y: spec.yName }, option, { height: 120 + legendRows(groups) * 18 + spec.rows.length * 18 })
}

/** A directed graph drawn on fixed positions (columns by wave): no force layout, so it is deterministic. */
export function graphChart(
  book: ChartBook,
  spec: { title: string; nodes: Array<{ name: string; column: number; row: number; category: string; highlight?: boolean }>; edges: Array<{ from: string; to: string }>; columnLabels: string[] },
): ChartSvg {
  const categories = [...new Set(spec.nodes.map((n) => n.category))]
  const rows = Math.max(1, ...spec.nodes.map((n) => n.row + 1))
  const columns = Math.max(1, spec.columnLabels.length)
  const width = WIDTH
  const height = 110 + rows * 46
  const option: EChartsOption = {
    legend: legend(categories),
    graphic: spec.columnLabels.map((label, i) => ({
      type: 'text',
      left: 40 + ((width - 80) * (i + 0.5)) / columns - 30,
      top: 34,
      style: { text: label, fontSize: 11, fill: '#444', fontFamily: FONT },
    })),
    series: [
      {
        type: 'graph',
        layout: 'none',
        left: 60,
        right: 60,
        top: 64,
        bottom: 40,
        roam: false,
        edgeSymbol: ['none', 'arrow'],
        edgeSymbolSize: 7,
        categories: categories.map((name) => ({ name })),
        label: { show: true, position: 'bottom', fontSize: 10, color: '#222' },
        lineStyle: { color: '#888', width: 1.2, curveness: 0.15 },
        data: spec.nodes.map((n) => ({
          name: n.name,
          x: n.column,
          y: n.row,
          category: categories.indexOf(n.category),
          symbolSize: 14,
          ...(n.highlight ? { itemStyle: { borderColor: '#b00020', borderWidth: 2 } } : {}),
        })),
        links: spec.edges.map((e) => ({ source: e.from, target: e.to })),
      },
    ],
    color: PALETTE,
  }
  return book.render('graph', spec.title, null, option, { width, height })
}
