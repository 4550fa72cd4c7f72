import { join } from 'node:path'
import type { Plan } from '../schema/plan.js'
import { csvTable } from './csv.js'
import { writeFileAtomic } from './files.js'

/** The files of a plan in `outDir`: plan.json, waves.csv, workloads.csv, gantt.csv, dependencies.dot. */
export function writePlanFiles(plan: Plan, outDir: string): string[] {
  const files: Array<[string, string]> = [
    ['plan.json', `${JSON.stringify(plan, null, 2)}\n`],
    ['waves.csv', wavesCsv(plan)],
    ['workloads.csv', workloadsCsv(plan)],
    ['gantt.csv', ganttCsv(plan)],
    ['dependencies.dot', dependencyDot(plan)],
  ]
  for (const [name, content] of files) writeFileAtomic(join(outDir, name), content)
  return files.map(([name]) => join(outDir, name))
}

export function wavesCsv(plan: Plan): string {
  return csvTable(
    ['wave', 'start', 'cutover', 'end', 'gpus', 'workloads', 'rationale'],
    plan.waves.map((w) => [w.number, w.start, w.cutover, w.end, w.gpus, w.workloads.join(' '), w.rationale]),
  )
}

function workloadsCsv(plan: Plan): string {
  return csvTable(
    ['workload', 'owner', 'strategy', 'option', 'wave', 'gpus', 'cutover', 'deadlines_missed', 'reasons', 'excluded_options'],
    plan.workloads.map((w) => [
      w.name,
      w.owner,
      w.strategy,
      w.option,
      w.wave,
      w.gpus,
      w.timeline?.cutover,
      w.deadlines
        .filter((d) => d.met === false)
        .map((d) => d.id)
        .join(' '),
      w.reasons.join('; '),
      w.excludedOptions.map((e) => `${e.option}: ${e.reason}`).join('; '),
    ]),
  )
}

function ganttCsv(plan: Plan): string {
  return csvTable(
    ['wave', 'workload', 'task', 'start', 'end'],
    plan.gantt.map((bar) => [bar.wave, bar.workload, bar.task, bar.start, bar.end]),
  )
}

/** The dependency graph in Graphviz DOT, one cluster per wave. */
function dependencyDot(plan: Plan): string {
  const quote = (text: string): string => `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`
  const lines = ['digraph dependencies {', '  rankdir=LR;', '  node [shape=box];']
  for (const wave of plan.waves) {
    lines.push(`  subgraph cluster_wave_${wave.number} {`, `    label=${quote(`wave ${wave.number} (${wave.start})`)};`)
    for (const name of wave.workloads) lines.push(`    ${quote(name)};`)
    lines.push('  }')
  }
  for (const node of plan.dependencyGraph.nodes)
    if (node.wave === null) lines.push(`  ${quote(node.name)} [style=dashed, label=${quote(`${node.name}\n(${node.strategy})`)}];`)
  for (const edge of plan.dependencyGraph.edges) lines.push(`  ${quote(edge.from)} -> ${quote(edge.to)};`)
  lines.push('}')
  return `${lines.join('\n')}\n`
}
