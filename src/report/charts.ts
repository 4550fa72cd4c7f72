import type { EChartsOption } from 'echarts'
import { type ChartBook, type ChartSvg, PALETTE } from './chart-book.js'
import { axisName, categoryLabel, legend, legendRows, valueAxisLook } from './chart-style.js'
import { num } from './format.js'

/** Charts over value axes: lines (CDFs, throughput–latency curves), scatters, intervals. */

export interface LineSeries {
  name: string
  points: Array<[number, number]>
  dashed?: boolean
  /** Points to label on the line (the knee). */
  marks?: Array<{ x: number; y: number; label: string }>
  symbols?: boolean
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
      : {
          type: spec.xLog ? 'log' : 'value',
          ...axisName(spec.xName, 28),
          scale: true,
          ...(spec.xMin !== undefined ? { min: spec.xMin } : {}),
          ...valueAxisLook(),
        },
    yAxis: {
      type: spec.yLog ? 'log' : 'value',
      ...axisName(spec.yName, 56),
      ...(spec.yMax !== undefined ? { max: spec.yMax } : {}),
      ...(spec.yMin !== undefined ? { min: spec.yMin } : {}),
      ...valueAxisLook(),
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
    xAxis: { type: 'value', scale: true, ...axisName(spec.xName, 28), ...valueAxisLook() },
    yAxis: {
      type: 'value',
      ...axisName(spec.yName, 56),
      ...(spec.yMin !== undefined ? { min: spec.yMin } : {}),
      ...(spec.yMax !== undefined ? { max: spec.yMax } : {}),
      ...valueAxisLook(),
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
    xAxis: { type: 'value', scale: true, ...axisName(spec.xName, 28), ...valueAxisLook() },
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
          ? {
              markLine: {
                silent: true,
                symbol: 'none',
                lineStyle: { color: '#777', type: 'dashed' as const },
                label: { show: false },
                data: [{ xAxis: spec.reference }],
              },
            }
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
