import { WIDTH } from './chart-book.js'

/** The look shared by the report's charts: axis names and labels, category labels, legends, compact tick numbers. */

export const axisName = (name: string, gap: number) => ({ name, nameLocation: 'middle' as const, nameGap: gap, nameTextStyle: { fontSize: 12, color: '#222' } })

export function axisLabel(formatter?: (value: number) => string) {
  return { color: '#444', fontSize: 11, hideOverlap: true, ...(formatter ? { formatter } : {}) }
}

/** A value axis's tick labels (compact numbers) and light grid lines; a fresh object each time, so a chart may change its own. */
export function valueAxisLook() {
  return { axisLabel: axisLabel(compactNumber), splitLine: { lineStyle: { color: '#e6e6e6' } } }
}

/** Category labels: long ones are cut to the width given (the full text is in the tables). */
export function categoryLabel(width: number) {
  return { color: '#444', fontSize: 11, width, overflow: 'truncate' as const }
}

const trimmed = new Intl.NumberFormat('en-US', { maximumFractionDigits: 3, useGrouping: true })

/** Axis ticks: no trailing zeros ("80", "2.5"), k and M past ten thousand. */
export const compactNumber = (value: number): string => {
  const magnitude = Math.abs(value)
  if (magnitude >= 1_000_000) return `${trimmed.format(Number((value / 1_000_000).toPrecision(4)))}M`
  if (magnitude >= 10_000) return `${trimmed.format(Number((value / 1000).toPrecision(4)))}k`
  return trimmed.format(Number(value.toPrecision(6)))
}

export function legend(names: string[]) {
  return { type: 'plain' as const, bottom: 0, left: 'center', data: names, textStyle: { fontSize: 11 }, itemWidth: 18, itemHeight: 8, itemGap: 20 }
}

export function legendRows(names: string[], width = WIDTH): number {
  const total = names.reduce((sum, n) => sum + Math.min(n.length, 60) * 7.5 + 50, 0)
  return Math.max(1, Math.ceil(total / (width - 40)))
}
