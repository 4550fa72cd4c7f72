import type { Plan } from '../../io/schema/plan.js'
import type { ChartBook } from '../chart-book.js'
import { lineChart } from '../charts.js'
import { ganttChart, graphChart } from '../plan-charts.js'
import { num, plain } from '../format.js'
import { type Loaded, use } from '../inputs.js'
import { type ChartBlock, type PlanSection, type Tone, n, table } from '../model.js'

const CYCLE_NOTE = '; red rings: workloads in a dependency cycle, which move together'

/** Gantt rows past this are drawn one per workload (its whole span) instead of one per task. */
const MAX_GANTT_ROWS = 60

const monthNumber = (month: string): number => {
  const [year, m] = month.split('-').map(Number) as [number, number]
  return year * 12 + (m - 1)
}
const monthName = (index: number): string => `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`

function monthsBetween(first: number, last: number): string[] {
  const months: string[] = []
  for (let m = first; m <= last; m++) months.push(monthName(m))
  return months
}

function gantt(book: ChartBook, plan: Plan, file: string): ChartBlock | null {
  if (plan.gantt.length === 0) return null
  const starts = plan.gantt.map((g) => monthNumber(g.start))
  const ends = plan.gantt.map((g) => monthNumber(g.end))
  const first = Math.min(...starts)
  const last = Math.max(...ends)
  const months = monthsBetween(first, last + 1)
  let rows: Array<{ label: string; start: number; end: number; group: string }>
  const notes: string[] = []
  if (plan.gantt.length <= MAX_GANTT_ROWS) {
    // By wave, then workload (in the order the plan lists it), tasks in their own order.
    const order = plan.gantt.map((g, index) => ({ g, index, workload: plan.gantt.findIndex((h) => h.workload === g.workload) }))
    order.sort((a, b) => a.g.wave - b.g.wave || a.workload - b.workload || a.index - b.index)
    rows = order.map(({ g }) => ({
      label: `W${g.wave} ${g.workload} · ${g.task}`,
      start: monthNumber(g.start) - first,
      end: monthNumber(g.end) - first + 1,
      group: g.task,
    }))
  } else {
    const spans = new Map<string, { wave: number; start: number; end: number }>()
    for (const g of plan.gantt) {
      const span = spans.get(g.workload) ?? { wave: g.wave, start: Number.POSITIVE_INFINITY, end: Number.NEGATIVE_INFINITY }
      span.start = Math.min(span.start, monthNumber(g.start))
      span.end = Math.max(span.end, monthNumber(g.end))
      spans.set(g.workload, span)
    }
    rows = [...spans]
      .sort((a, b) => a[1].wave - b[1].wave || a[1].start - b[1].start)
      .map(([workload, s]) => ({ label: `W${s.wave} ${workload}`, start: s.start - first, end: s.end - first + 1, group: `wave ${s.wave}` }))
    notes.push(`${plan.gantt.length} tasks: one bar per workload, assessment to decommission (the tasks are in waves.csv and plan.json)`)
  }
  const deadlines = new Map<string, { date: string; title: string }>()
  for (const w of plan.workloads) for (const d of w.deadlines) deadlines.set(d.id, { date: d.date, title: d.title })
  const markers = [...deadlines]
    .map(([id, d]) => ({ month: monthNumber(d.date.slice(0, 7)) - first, label: id }))
    .filter((m) => m.month >= 0 && m.month <= months.length)
    .sort((a, b) => a.month - b.month || a.label.localeCompare(b.label))
  return {
    chart: ganttChart(book, { title: 'Migration waves: tasks by month', xName: 'Month', yName: 'Wave, workload and task', months, rows, markers }),
    caption: `One bar per task (from its first to the end of its last month); dashed red lines: deadlines the workloads are held to. From ${file}.`,
    notes,
  }
}

function graph(book: ChartBook, plan: Plan, file: string): ChartBlock | null {
  const nodes = plan.dependencyGraph.nodes
  if (nodes.length === 0) return null
  const waves = [...new Set(nodes.map((node) => node.wave))].sort((a, b) => (a ?? Number.POSITIVE_INFINITY) - (b ?? Number.POSITIVE_INFINITY))
  const inCycle = new Set(plan.dependencyGraph.cycles.flat())
  const rowInColumn = new Map<number, number>()
  const placed = nodes.map((node) => {
    const column = waves.indexOf(node.wave)
    const row = rowInColumn.get(column) ?? 0
    rowInColumn.set(column, row + 1)
    return { name: node.name, column, row, category: node.strategy, highlight: inCycle.has(node.name) }
  })
  return {
    chart: graphChart(book, {
      title: 'Dependencies between workloads',
      nodes: placed,
      edges: plan.dependencyGraph.edges,
      columnLabels: waves.map((w) => (w === null ? 'not moved' : `Wave ${w}`)),
    }),
    caption: `Columns: waves; colour: 7 R strategy; an arrow from A to B: A depends on B${inCycle.size > 0 ? CYCLE_NOTE : ''}. From ${file}.`,
    notes: plan.dependencyGraph.cycles.map((c) => `cycle: ${c.join(' ↔ ')}`),
  }
}

function capacityChart(book: ChartBook, plan: Plan, file: string): ChartBlock | null {
  if (plan.capacity.length < 2) return null
  const months = plan.capacity.map((c) => c.month)
  return {
    chart: lineChart(book, {
      title: 'GPUs available and used by the plan, by month',
      xName: 'Month',
      yName: 'GPUs',
      xCategories: months,
      step: true,
      yMin: 0,
      series: [
        { name: 'available', points: plan.capacity.map((c, i) => [i, c.available]), dashed: true },
        { name: 'used by the plan', points: plan.capacity.map((c, i) => [i, c.used]) },
      ],
    }),
    caption: `Target capacity (the inventory’s GPUs) against what the moved workloads and their dual running hold. From ${file}.`,
    notes: [],
  }
}

function planBlock(book: ChartBook, loaded: Loaded<Plan>): PlanSection['blocks'][number] {
  const { data: plan, file } = loaded
  use(file, 'plan')
  const lastWave = plan.waves[plan.waves.length - 1]
  const facts = [
    { label: 'Organisation', value: plan.organisation },
    { label: 'Start', value: plan.start },
    { label: 'Inventory', value: plan.inventoryFile },
    {
      label: 'Workloads',
      value: `${plan.workloads.length} in ${plan.waves.length} wave${plan.waves.length === 1 ? '' : 's'}${lastWave ? `, the last ending ${lastWave.end}` : ''}`,
    },
    { label: 'Conflicts', value: plan.conflicts.length === 0 ? 'none' : `${plan.conflicts.length}: see below` },
    { label: 'Computed', value: `${plan.createdAt} by geopat ${plan.tool.version}` },
  ]
  const waves = table(
    'Waves',
    [n('Wave'), 'Start', 'Last cut-over', 'End', 'Workloads', n('GPUs'), 'Why this order'],
    plan.waves.map((w) => [num(w.number, 0), w.start, w.cutover, w.end, w.workloads.join(', '), num(w.gpus, 0), w.rationale]),
  )
  const workloads = table(
    'Workloads and their move',
    ['Workload', 'Owner', 'Strategy (7 R)', 'Target option', n('Wave'), n('GPUs'), 'Cut-over', 'Why'],
    plan.workloads.map((w) => [
      w.name,
      w.owner,
      w.strategy,
      w.option ?? '–',
      w.wave === null ? '–' : num(w.wave, 0),
      num(w.gpus, 0),
      w.timeline?.cutover ?? '–',
      w.reasons.join('; ') || '–',
    ]),
  )
  const excludedRows = plan.workloads.flatMap((w) => w.excludedOptions.map((e) => [w.name, e.option, e.reason]))
  const rollbackRows = plan.workloads.flatMap((w) =>
    w.rollback.map((r) => [w.name, r.metric, `${plain(r.threshold)} ${r.unit}`, r.basis, w.canarySteps.map((s) => `${plain(s)}%`).join(' → ') || '–']),
  )
  const deadlineRows = plan.workloads.flatMap((w) =>
    w.deadlines.map((d) => ({
      tone: (d.met === false ? 'bad' : d.met === null ? 'warn' : 'good') as Tone,
      cells: [w.name, d.id, d.date, d.title, d.met === null ? 'not known (no cut-over)' : d.met ? 'met' : 'missed', w.timeline?.cutover ?? '–'],
    })),
  )
  return {
    title: `Migration plan for ${plan.organisation}, from ${plan.start}`,
    facts,
    waves,
    gantt: gantt(book, plan, file.path),
    graph: graph(book, plan, file.path),
    capacity: capacityChart(book, plan, file.path),
    workloads,
    excluded:
      excludedRows.length > 0
        ? table('Options excluded (sovereignty gate, confidential computing, model)', ['Workload', 'Option', 'Why excluded'], excludedRows)
        : null,
    rollback:
      rollbackRows.length > 0
        ? table('Rollback criteria during the canary ramp', ['Workload', 'Metric', n('Roll back above'), 'Basis', 'Canary steps'], rollbackRows)
        : null,
    deadlines: deadlineRows.length > 0 ? table('Deadlines', ['Workload', 'Deadline', 'Date', 'What', 'Cut-over in time?', 'Cut-over'], deadlineRows) : null,
    dualRunning:
      plan.dualRunning.length > 0
        ? table(
            'Dual running (old and new both serve)',
            ['Workload', 'Option', 'From', 'To', n('Months'), n('GPUs')],
            plan.dualRunning.map((d) => [d.workload, d.option, d.start, d.end, num(d.months, 0), num(d.gpus, 0)]),
          )
        : null,
    conflicts:
      plan.conflicts.length > 0
        ? table(
            'Conflicts',
            ['Kind', 'Workload', 'Detail'],
            plan.conflicts.map((c) => ({ tone: 'bad' as Tone, cells: [c.kind, c.workload, c.detail] })),
          )
        : null,
  }
}

export function planSection(book: ChartBook, plans: Array<Loaded<Plan>>): PlanSection | null {
  if (plans.length === 0) return null
  return { blocks: plans.map((p) => planBlock(book, p)) }
}
