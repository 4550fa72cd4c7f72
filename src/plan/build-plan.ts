import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import YAML from 'yaml'
import { loadYamlFile, parseWithSchema } from '../io/schema/load-file.js'
import { type Deadline, type Inventory, type InventoryWorkload, type TargetOption, deadlineFileSchema, inventorySchema } from '../io/schema/inventory.js'
import { UserError } from '../util/errors.js'
import { type Plan, type PlanConflict, type PlannedWorkload, planSchema } from '../io/schema/plan.js'
import { GEOPAT_VERSION, PACKAGE_ROOT } from '../util/version.js'
import { monthEndsBy, monthIndex, monthName } from './months.js'
import { type LatencyEvidence, type Recommendation, recommend } from './recommend.js'
import { rollbackCriteria } from './rollback.js'
import { groupWorkloads, scheduleGroups } from './schedule.js'

const DEADLINES_FILE = join(PACKAGE_ROOT, 'data', 'regulation', 'deadlines.yaml')

/** The shipped regulatory deadlines (data/regulation/deadlines.yaml). */
function shippedDeadlines(): Deadline[] {
  return parseWithSchema(DEADLINES_FILE, deadlineFileSchema, YAML.parse(readFileSync(DEADLINES_FILE, 'utf8'))).deadlines
}

/** Reads and validates an inventory file: the schema, then names and ids unique, and no workload depending on itself. */
export function loadInventory(file: string): Inventory {
  const inventory = loadYamlFile(file, inventorySchema)
  const unique = (what: string, values: string[]): void => {
    const seen = new Set<string>()
    values.forEach((value, index) => {
      if (seen.has(value)) throw new UserError(`${file}: ${what}.${index}: "${value}" appears twice; it must be unique`)
      seen.add(value)
    })
  }
  unique(
    'workloads',
    inventory.workloads.map((w) => w.name),
  )
  unique(
    'options',
    inventory.options.map((o) => o.id),
  )
  // A cycle of two or more moves together (a plan result); a workload naming itself is a mistake
  // that would otherwise vanish from the plan's cycles without a word.
  inventory.workloads.forEach((workload, index) => {
    const self = workload.dependsOn.indexOf(workload.name)
    if (self >= 0)
      throw new UserError(`${file}: workloads.${index}.dependsOn.${self}: workload "${workload.name}" depends on itself; a workload cannot depend on itself`)
  })
  return inventory
}

export interface PlanInputs {
  inventory: Inventory
  inventoryFile: string
  evidence: Map<string, LatencyEvidence>
  /** Cost per GPU-month equivalent of an option, when the TCO or the inventory gives one. */
  costOf?: (optionId: string) => number | undefined
  /**
   * What one workload would cost a month on an option (its GPUs or its tokens at the option's catalog
   * price: src/plan/estate.ts workloadCostOn). When given, it ranks the options instead of costOf, so
   * that a token API and a GPU rental are compared on what the workload would pay.
   */
  workloadCostOf?: (workload: InventoryWorkload, option: TargetOption) => number | undefined
}

/**
 * Turns an inventory into a phased plan: a 7 R recommendation per workload, dependency cycles
 * merged into groups that move together, groups started in priority order (inherited deadline,
 * then value, then AI Act risk) at the earliest month their dependencies, the GPU capacity and the
 * programme's change limit allow, each with its steps, rollback criteria and deadline check.
 * What cannot be satisfied is listed under `conflicts`, never thrown.
 */
export function buildPlan(inputs: PlanInputs): Plan {
  const { inventory } = inputs
  const practice = inventory.practice
  const names = new Set(inventory.workloads.map((w) => w.name))
  const deadlines = new Map<string, Deadline>([...shippedDeadlines(), ...inventory.deadlines].map((d) => [d.id, d]))
  const conflicts: PlanConflict[] = referenceConflicts(inventory, names, deadlines)
  const recommendations = recommendAll(inputs, conflicts)
  const { components, groupOf, groups } = groupWorkloads(inventory, recommendations, deadlines)
  const schedule = scheduleGroups(inventory, groups, conflicts)
  // Waves: groups that start in the same month.
  const waveMonths = [...new Set(schedule.startOf.values())].sort((a, b) => a - b)
  const waveOf = (group: number): number | null => (schedule.startOf.has(group) ? waveMonths.indexOf(schedule.startOf.get(group) as number) + 1 : null)
  const planned: PlannedWorkload[] = inventory.workloads.map((workload) => {
    const recommendation = recommendations.get(workload.name) as Recommendation
    const group = groupOf.get(workload.name)
    const begin = group !== undefined ? schedule.startOf.get(group) : undefined
    const option = recommendation.option
    const { timeline, cutover } = workloadTimeline(practice, begin)
    const checks = deadlineChecks({ workload, deadlines, option, cutover, practice }, conflicts)
    return {
      name: workload.name,
      owner: workload.owner,
      strategy: recommendation.strategy,
      option: option?.id ?? null,
      reasons: recommendation.reasons,
      excludedOptions: recommendation.excluded,
      group: group ?? -1,
      wave: group !== undefined ? waveOf(group) : null,
      gpus: option?.usesPlanGpus ? workload.traffic.gpus : 0,
      timeline,
      deadlines: checks,
      canarySteps: option ? practice.canarySteps : [],
      rollback: option ? rollbackCriteria(workload, practice, option.benchEndpoint !== undefined ? inputs.evidence.get(option.benchEndpoint) : undefined) : [],
    }
  })
  const lastMonth = Math.max(schedule.start, ...planned.flatMap((p) => (p.timeline ? [monthIndex(p.timeline.decommission.end)] : [])))
  const capacity: Plan['capacity'] = []
  for (let m = schedule.start; m <= lastMonth; m++) capacity.push({ month: monthName(m), available: schedule.available(m), used: schedule.used.get(m) ?? 0 })
  return planSchema.parse({
    schema: 'geopat.plan/v1',
    createdAt: new Date().toISOString(),
    tool: { name: 'geopat', version: GEOPAT_VERSION },
    organisation: inventory.organisation,
    start: inventory.start,
    inventoryFile: inputs.inventoryFile,
    workloads: planned,
    waves: planWaves(inventory, waveMonths, planned),
    gantt: planGantt(planned),
    dependencyGraph: {
      nodes: planned.map((p) => ({ name: p.name, wave: p.wave, strategy: p.strategy, group: p.group })),
      edges: inventory.workloads.flatMap((w) => w.dependsOn.filter((d) => names.has(d)).map((d) => ({ from: w.name, to: d }))),
      cycles: components.filter((c) => c.length > 1),
    },
    capacity,
    dualRunning: planDualRunning(inventory, planned),
    conflicts,
  })
}

/** References: unknown ones are conflicts (the reference is dropped), not crashes. */
function referenceConflicts(inventory: Inventory, names: ReadonlySet<string>, deadlines: ReadonlyMap<string, Deadline>): PlanConflict[] {
  const conflicts: PlanConflict[] = []
  for (const workload of inventory.workloads) {
    for (const dependency of workload.dependsOn) {
      if (!names.has(dependency))
        conflicts.push({ kind: 'unknown-reference', workload: workload.name, detail: `dependsOn names "${dependency}", which is not in the inventory` })
    }
    for (const id of workload.deadlines) {
      if (!deadlines.has(id)) {
        conflicts.push({
          kind: 'unknown-reference',
          workload: workload.name,
          detail: `deadlines names "${id}", which is neither shipped (data/regulation/deadlines.yaml) nor in the inventory's deadlines`,
        })
      }
    }
  }
  return conflicts
}

/** A 7 R recommendation per workload, ranked by what the workload would pay (or the option's cost per GPU-month); its conflict, if any. */
function recommendAll(inputs: PlanInputs, conflicts: PlanConflict[]): Map<string, Recommendation> {
  const { inventory } = inputs
  const optionCost = (id: string) => inputs.costOf?.(id) ?? inventory.options.find((o) => o.id === id)?.costPerGpuMonth
  const recommendations = new Map<string, Recommendation>()
  for (const workload of inventory.workloads) {
    const workloadCostOf = inputs.workloadCostOf
    const recommendation = workloadCostOf
      ? recommend(
          workload,
          inventory.options,
          inputs.evidence,
          (option) => workloadCostOf(workload, option),
          `a month for this workload, ${inventory.currency}`,
        )
      : recommend(workload, inventory.options, inputs.evidence, (option) => optionCost(option.id))
    recommendations.set(workload.name, recommendation)
    if (recommendation.conflict) conflicts.push({ kind: recommendation.conflict.kind, workload: workload.name, detail: recommendation.conflict.detail })
  }
  return recommendations
}

/** A scheduled workload's steps from its start month `begin` (assessment, pilot, canary, dual running, decommission) and its cutover month. */
function workloadTimeline(practice: Inventory['practice'], begin: number | undefined): { timeline: PlannedWorkload['timeline']; cutover: number | undefined } {
  if (begin === undefined) return { timeline: null, cutover: undefined }
  const pilotStart = begin + practice.assessmentMonths
  const canaryStart = pilotStart + practice.pilotMonths
  const cutover = canaryStart + practice.canaryMonths - 1
  const dualEnd = cutover + practice.dualRunningMonths
  const timeline = {
    assessment: { start: monthName(begin), end: monthName(pilotStart - 1) },
    pilot: { start: monthName(pilotStart), end: monthName(canaryStart - 1) },
    canary: { start: monthName(canaryStart), end: monthName(cutover) },
    dualRunning: practice.dualRunningMonths > 0 ? { start: monthName(cutover + 1), end: monthName(dualEnd) } : null,
    cutover: monthName(cutover),
    decommission: { start: monthName(dualEnd + 1), end: monthName(dualEnd + practice.decommissionMonths) },
  }
  return { timeline, cutover }
}

/** Whether the workload's cutover meets each of its deadlines; a missed one is a deadline conflict. */
function deadlineChecks(
  {
    workload,
    deadlines,
    option,
    cutover,
    practice,
  }: {
    workload: InventoryWorkload
    deadlines: ReadonlyMap<string, Deadline>
    option: Recommendation['option']
    cutover: number | undefined
    practice: Inventory['practice']
  },
  conflicts: PlanConflict[],
): PlannedWorkload['deadlines'] {
  const workloadDeadlines = workload.deadlines.flatMap((id) => (deadlines.has(id) ? [deadlines.get(id) as Deadline] : []))
  const checks = workloadDeadlines.map((d) => ({
    id: d.id,
    date: d.date,
    title: d.title,
    met: option === null ? null : cutover === undefined ? false : monthEndsBy(cutover, d.date),
  }))
  for (const check of checks) {
    if (check.met !== false) continue
    conflicts.push({
      kind: 'deadline',
      workload: workload.name,
      detail:
        cutover === undefined
          ? `${check.id} (${check.date}): not scheduled at all`
          : `${check.id} (${check.date}): earliest cutover is ${monthName(cutover)}, after the deadline (dependencies, GPU capacity and the ` +
            `${practice.maxWorkloadsPerMonth}-per-month change limit allow no earlier start)`,
    })
  }
  return checks
}

function planWaves(inventory: Inventory, waveMonths: readonly number[], planned: readonly PlannedWorkload[]): Plan['waves'] {
  const byName = new Map(inventory.workloads.map((w) => [w.name, w]))
  return waveMonths.map((month, index) => {
    const members = planned.filter((p) => p.wave === index + 1)
    const cutovers = members.map((p) => monthIndex(p.timeline?.cutover as string))
    const ends = members.map((p) => monthIndex(p.timeline?.decommission.end as string))
    const earliestDeadline = members.flatMap((p) => p.deadlines.map((d) => d.date)).sort()[0]
    return {
      number: index + 1,
      start: monthName(month),
      cutover: monthName(Math.max(...cutovers)),
      end: monthName(Math.max(...ends)),
      workloads: members.map((p) => p.name),
      gpus: members.reduce((sum, p) => sum + p.gpus, 0),
      rationale: [
        earliestDeadline ? `earliest deadline ${earliestDeadline}` : 'no deadline of its own',
        `value ${members.map((p) => byName.get(p.name)?.value).join('/')}`,
        `AI Act risk ${[...new Set(members.map((p) => byName.get(p.name)?.aiActRisk))].join('/')}`,
      ].join('; '),
    }
  })
}

function planGantt(planned: readonly PlannedWorkload[]): Plan['gantt'] {
  return planned.flatMap((p) => {
    if (!p.timeline || p.wave === null) return []
    const t = p.timeline
    const bars: Plan['gantt'] = [
      { wave: p.wave, workload: p.name, task: 'assessment', ...t.assessment },
      { wave: p.wave, workload: p.name, task: 'pilot', ...t.pilot },
      { wave: p.wave, workload: p.name, task: `canary ${p.canarySteps.join('→')}%`, ...t.canary },
    ]
    if (t.dualRunning) bars.push({ wave: p.wave, workload: p.name, task: 'dual running', ...t.dualRunning })
    bars.push({ wave: p.wave, workload: p.name, task: 'decommission', ...t.decommission })
    return bars
  })
}

/** Each moved workload's dual running, and the overlap over which both hosts are paid (pilot to the end of dual running). */
function planDualRunning(inventory: Inventory, planned: readonly PlannedWorkload[]): Plan['dualRunning'] {
  return planned.flatMap((p) =>
    p.timeline?.dualRunning && p.option
      ? [
          {
            workload: p.name,
            option: p.option,
            tcoOption: inventory.options.find((o) => o.id === p.option)?.tcoOption ?? null,
            moveStart: p.timeline.assessment.start,
            start: p.timeline.dualRunning.start,
            end: p.timeline.dualRunning.end,
            months: inventory.practice.dualRunningMonths,
            gpus: p.gpus,
            overlap: {
              start: p.timeline.pilot.start,
              end: p.timeline.dualRunning.end,
              months: monthIndex(p.timeline.dualRunning.end) - monthIndex(p.timeline.pilot.start) + 1,
            },
          },
        ]
      : [],
  )
}
