import type { Plan } from '../../io/schema/plan.js'

/** The human view of a plan: waves, then each workload's recommendation, then the conflicts. */
export function formatPlan(plan: Plan): string {
  const lines = [`${plan.organisation}: ${plan.workloads.length} workloads, ${plan.waves.length} wave(s) from ${plan.start}`, '']
  lines.push('wave  start    cutover  end      GPUs  workloads')
  for (const wave of plan.waves) {
    lines.push(
      `${String(wave.number).padEnd(6)}${wave.start.padEnd(9)}${wave.cutover.padEnd(9)}${wave.end.padEnd(9)}${String(wave.gpus).padStart(4)} ` +
        ` ${wave.workloads.join(', ')}`,
    )
    lines.push(`      (${wave.rationale})`)
  }
  lines.push('')
  for (const workload of plan.workloads) {
    const where = workload.option ? ` → ${workload.option}` : ''
    const when = workload.timeline ? `, wave ${workload.wave}, cutover ${workload.timeline.cutover}` : ''
    lines.push(`${workload.name}: ${workload.strategy}${where}${when}`)
    for (const reason of workload.reasons) lines.push(`    ${reason}`)
    for (const deadline of workload.deadlines)
      lines.push(`    deadline ${deadline.id} ${deadline.date}: ${deadline.met === null ? 'not moving' : deadline.met ? 'met' : 'MISSED'}`)
  }
  if (plan.dependencyGraph.cycles.length > 0) {
    lines.push('')
    for (const cycle of plan.dependencyGraph.cycles) lines.push(`dependency cycle, moved together: ${cycle.join(' ↔ ')}`)
  }
  lines.push('')
  lines.push(plan.conflicts.length === 0 ? 'conflicts: none' : `conflicts (${plan.conflicts.length}):`)
  for (const conflict of plan.conflicts) lines.push(`  ${conflict.kind} · ${conflict.workload}: ${conflict.detail}`)
  return lines.join('\n')
}
