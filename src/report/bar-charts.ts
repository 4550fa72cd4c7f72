import type { EChartsOption } from 'echarts'
import { type ChartBook, type ChartSvg, PALETTE } from './chart-book.js'
import { axisName, categoryLabel, compactNumber, legend, legendRows, valueAxisLook } from './chart-style.js'

/** Bar charts: the tornado of a TCO's drivers, stacked bars over categories. */

export function tornadoChart(
  book: ChartBook,
  spec: { title: string; xName: string; yName: string; base: number; rows: Array<{ label: string; low: number; high: number }> },
): ChartSvg {
  const rows = [...spec.rows].sort((a, b) => Math.abs(b.high - b.low) - Math.abs(a.high - a.low))
  const option: EChartsOption = {
    grid: { left: 170, right: 36, top: 44, bottom: 74 },
    legend: legend(['input at its low value', 'input at its high value']),
    xAxis: { type: 'value', scale: true, ...axisName(spec.xName, 28), ...valueAxisLook() },
    yAxis: {
      type: 'category',
      inverse: true,
      data: rows.map((r) => r.label),
      ...axisName(spec.yName, 156),
      axisLabel: categoryLabel(150),
      axisTick: { show: false },
    },
    series: [
      {
        type: 'bar',
        name: 'input at its low value',
        stack: 'swing',
        data: rows.map((r) => r.low - spec.base),
        itemStyle: { color: PALETTE[0] },
        markLine: { silent: true, symbol: 'none', lineStyle: { color: '#555', type: 'dashed' as const }, label: { show: false }, data: [{ xAxis: 0 }] },
      },
      {
        type: 'bar',
        name: 'input at its high value',
        stack: 'swing2',
        barGap: '-100%',
        data: rows.map((r) => r.high - spec.base),
        itemStyle: { color: PALETTE[1] },
      },
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
  const value = { type: 'value' as const, ...valueAxisLook() }
  const option: EChartsOption = {
    grid: { left: spec.horizontal ? 170 : 78, right: 28, top: 44, bottom: 58 + rows * 18 },
    legend: legend(names),
    xAxis: spec.horizontal ? { ...value, ...axisName(spec.xName, 28) } : { ...category, ...axisName(spec.xName, 28) },
    yAxis: spec.horizontal ? { ...category, inverse: true, ...axisName(spec.yName, 156) } : { ...value, ...axisName(spec.yName, 56) },
    series: spec.series.map((s, i) => ({
      type: 'bar' as const,
      name: s.name,
      stack: 'total',
      data: s.values,
      itemStyle: { color: PALETTE[i % PALETTE.length] },
    })),
  }
  const height = spec.horizontal ? 110 + rows * 18 + spec.categories.length * 30 : 320 + rows * 18
  return book.render('bar', spec.title, { x: spec.xName, y: spec.yName }, option, { height })
}
