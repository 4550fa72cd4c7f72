import type { EChartsOption } from 'echarts'
import { type ChartBook, type ChartSvg, FONT, PALETTE, WIDTH } from './chart-book.js'
import { axisLabel, axisName, categoryLabel, legend, legendRows } from './chart-style.js'

/** The migration plan's charts: a Gantt of the moves, the dependency graph by wave. */

/** A Gantt chart: one bar per row from a start to an end month index (stacked bars, the first invisible). */
export function ganttChart(
  book: ChartBook,
  spec: {
    title: string
    xName: string
    yName: string
    months: string[]
    rows: Array<{ label: string; start: number; end: number; group: string }>
    markers?: Array<{ month: number; label: string }>
  },
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
    yAxis: {
      type: 'category',
      inverse: true,
      data: spec.rows.map((r) => r.label),
      ...axisName(spec.yName, 196),
      axisLabel: categoryLabel(190),
      axisTick: { show: false },
    },
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
  spec: {
    title: string
    nodes: Array<{ name: string; column: number; row: number; category: string; highlight?: boolean }>
    edges: Array<{ from: string; to: string }>
    columnLabels: string[]
  },
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
