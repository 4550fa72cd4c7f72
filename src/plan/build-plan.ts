import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import YAML from 'yaml'
import { loadYamlFile, parseWithSchema } from '../io/schema/load-file.js'
import { type Deadline, type Inventory, type InventoryWorkload, type TargetOption, deadlineFileSchema, inventorySchema } from '../io/schema/inventory.js'
import { UserError } from '../util/errors.js'
import { type Plan, type PlanConflict, type PlannedWorkload, planSchema } from '../io/schema/plan.js'
import { GEOPAT_VERSION, PACKAGE_ROOT } from '../util/version.js'
import { stronglyConnectedComponents } from './graph.js'
import { monthEndsBy, monthIndex, monthName, monthOfDate } from './months.js'
import { type LatencyEvidence, type Recommendation, recommend } from './recommend.js'
import { rollbackCriteria } from './rollback.js'

const DEADLINES_FILE = join(PACKAGE_ROOT, 'data', 'regulation', 'deadlines.yaml')

/** The shipped regulatory deadlines (data/regulation/deadlines.yaml). */
export function shippedDeadlines(): Deadline[] {
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
  unique('workloads', inventory.workloads.map((w) => w.name))
  unique('options', inventory.options.map((o) => o.id))
  // A cycle of two or more moves together (a plan result); a workload naming itself is a mistake
  // that would otherwise vanish from the plan's cycles without a word.
  inventory.workloads.forEach((workload, index) => {
    const self = workload.dependsOn.indexOf(workload.name)
    if (self >= 0) throw new UserError(`${file}: workloads.${index}.dependsOn.${self}: workload "${workload.name}" depends on itself; a workload cannot depend on itself`)
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

const VALUE_RANK = { high: 0, medium: 1, low: 2 } as const
const RISK_RANK = { prohibited: 0, high: 1, gpai: 2, limited: 3, minimal: 4 } as const

interface Group {
  id: number
  members: InventoryWorkload[]
  dependsOn: Set<number>
  gpus: number
  /** Earliest deadline of the group or of anything that depends on it (inherited). */
  deadlineMonth: number
  value: number
  risk: number
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
  const conflicts: PlanConflict[] = []
  const names = new Set(inventory.workloads.map((w) => w.name))
  const deadlines = new Map<string, Deadline>([...shippedDeadlines(), ...inventory.deadlines].map((d) => [d.id, d]))

  // References: unknown ones are conflicts (the reference is dropped), not crashes.
  for (const workload of inventory.workloads) {
    for (const dependency of workload.dependsOn) {
      if (!names.has(dependency)) conflicts.push({ kind: 'unknown-reference', workload: workload.name, detail: `dependsOn names "${dependency}", which is not in the inventory` })
    }
    for (const id of workload.deadlines) {
      if (!deadlines.has(id)) conflicts.push({ kind: 'unknown-reference', workload: workload.name, detail: `deadlines names "${id}", which is neither shipped (data/regulation/deadlines.yaml) nor in the inventory's deadlines` })
    }
  }

  const optionCost = (id: string) => inputs.costOf?.(id) ?? inventory.options.find((o) => o.id === id)?.costPerGpuMonth
  const recommendations = new Map<string, Recommendation>()
  for (const workload of inventory.workloads) {
    const workloadCostOf = inputs.workloadCostOf
    const recommendation = workloadCostOf
      ? recommend(workload, inventory.options, inputs.evidence, (option) => workloadCostOf(workload, option), `a month for this workload, ${inventory.currency}`)
      : recommend(workload, inventory.options, inputs.evidence, (option) => optionCost(option.id))
    recommendations.set(workload.name, recommendation)
    if (recommendation.conflict) conflicts.push({ kind: recommendation.conflict.kind, workload: workload.name, detail: recommendation.conflict.detail })
  }
  const moves = (w: InventoryWorkload): boolean => recommendations.get(w.name)?.option !== null && recommendations.get(w.name)?.option !== undefined
  const moving = inventory.workloads.filter(moves)
  const movingNames = new Set(moving.map((w) => w.name))

  // Groups: strongly connected components of the dependencies among moving workloads.
  const edges = new Map(moving.map((w) => [w.name, w.dependsOn.filter((d) => movingNames.has(d))]))
  const components = stronglyConnectedComponents(moving.map((w) => w.name), edges)
  const groupOf = new Map<string, number>()
  components.forEach((component, id) => {
    for (const name of component) groupOf.set(name, id)
  })
  const byName = new Map(inventory.workloads.map((w) => [w.name, w]))
  const deadlineMonthOf = (w: InventoryWorkload): number =>
    Math.min(Number.POSITIVE_INFINITY, ...w.deadlines.flatMap((id) => (deadlines.has(id) ? [monthOfDate((deadlines.get(id) as Deadline).date)] : [])))
  const groups: Group[] = components.map((component, id) => {
    const members = component.map((name) => byName.get(name) as InventoryWorkload)
    return {
      id,
      members,
      dependsOn: new Set(members.flatMap((m) => (edges.get(m.name) ?? []).map((d) => groupOf.get(d) as number)).filter((g) => g !== id)),
      gpus: members.reduce((sum, m) => sum + (recommendations.get(m.name)?.option?.usesPlanGpus ? m.traffic.gpus : 0), 0),
      deadlineMonth: Math.min(...members.map(deadlineMonthOf)),
      value: Math.min(...members.map((m) => VALUE_RANK[m.value])),
      risk: Math.min(...members.map((m) => RISK_RANK[m.aiActRisk])),
    }
  })
  // A dependency inherits the deadline, value and risk of what depends on it, so that it is not what
  // holds a high-value or deadline-bound workload back (components come dependencies first).
  for (let i = groups.length - 1; i >= 0; i--) {
    const group = groups[i] as Group
    for (const dependency of group.dependsOn) {
      const target = groups[dependency] as Group
      target.deadlineMonth = Math.min(target.deadlineMonth, group.deadlineMonth)
      target.value = Math.min(target.value, group.value)
      target.risk = Math.min(target.risk, group.risk)
    }
  }

  // Schedule: ready groups (dependencies started) by priority, each at its earliest feasible month.
  const start = monthIndex(inventory.start)
  const horizonEnd = start + inventory.horizonMonths
  const lead = practice.assessmentMonths
  const ramp = practice.pilotMonths + practice.canaryMonths
  const available = (month: number): number => {
    let gpus = 0
    for (const step of inventory.capacity) if (monthIndex(step.from) <= month) gpus = step.gpus
    return gpus
  }
  const used = new Map<number, number>()
  const startsIn = new Map<number, number>()
  const startOf = new Map<number, number>()
  const unscheduled = new Set<number>()
  const done = new Set<number>()
  const priority = (a: Group, b: Group) => a.deadlineMonth - b.deadlineMonth || a.value - b.value || a.risk - b.risk || a.id - b.id
  while (done.size < groups.length) {
    const ready = groups.filter((g) => !done.has(g.id) && [...g.dependsOn].every((d) => done.has(d))).sort(priority)
    const group = ready[0] as Group
    done.add(group.id)
    if ([...group.dependsOn].some((d) => unscheduled.has(d))) {
      unscheduled.add(group.id)
      for (const m of group.members) conflicts.push({ kind: 'capacity', workload: m.name, detail: 'cannot be scheduled: a workload it depends on could not be' })
      continue
    }
    const earliest = Math.max(start, ...[...group.dependsOn].map((d) => startOf.get(d) as number))
    let chosen: number | undefined
    for (let month = earliest; month + lead + ramp <= horizonEnd && chosen === undefined; month++) {
      const startsThatMonth = startsIn.get(month) ?? 0
      if (startsThatMonth > 0 && startsThatMonth + group.members.length > practice.maxWorkloadsPerMonth) continue
      let fits = true
      for (let m = month + lead; m < horizonEnd && fits; m++) fits = (used.get(m) ?? 0) + group.gpus <= available(m)
      if (fits) chosen = month
    }
    if (chosen === undefined) {
      unscheduled.add(group.id)
      for (const m of group.members) {
        conflicts.push({ kind: 'capacity', workload: m.name, detail: `needs ${group.gpus} GPU(s) (with its group) that the capacity never frees between ${monthName(earliest)} and the horizon ${monthName(horizonEnd - 1)}` })
      }
      continue
    }
    startOf.set(group.id, chosen)
    startsIn.set(chosen, (startsIn.get(chosen) ?? 0) + group.members.length)
    for (let m = chosen + lead; m < horizonEnd; m++) used.set(m, (used.get(m) ?? 0) + group.gpus)
  }

  // Waves: groups that start in the same month.
  const waveMonths = [...new Set(startOf.values())].sort((a, b) => a - b)
  const waveOf = (group: number): number | null => (startOf.has(group) ? waveMonths.indexOf(startOf.get(group) as number) + 1 : null)

  const planned: PlannedWorkload[] = inventory.workloads.map((workload) => {
    const recommendation = recommendations.get(workload.name) as Recommendation
    const group = groupOf.get(workload.name)
    const begin = group !== undefined ? startOf.get(group) : undefined
    const option = recommendation.option
    let timeline: PlannedWorkload['timeline'] = null
    let cutover: number | undefined
    if (begin !== undefined) {
      const pilotStart = begin + practice.assessmentMonths
      const canaryStart = pilotStart + practice.pilotMonths
      cutover = canaryStart + practice.canaryMonths - 1
      const dualEnd = cutover + practice.dualRunningMonths
      timeline = {
        assessment: { start: monthName(begin), end: monthName(pilotStart - 1) },
        pilot: { start: monthName(pilotStart), end: monthName(canaryStart - 1) },
        canary: { start: monthName(canaryStart), end: monthName(cutover) },
        dualRunning: practice.dualRunningMonths > 0 ? { start: monthName(cutover + 1), end: monthName(dualEnd) } : null,
        cutover: monthName(cutover),
        decommission: { start: monthName(dualEnd + 1), end: monthName(dualEnd + practice.decommissionMonths) },
      }
    }
    const workloadDeadlines = workload.deadlines.flatMap((id) => (deadlines.has(id) ? [deadlines.get(id) as Deadline] : []))
    const checks = workloadDeadlines.map((d) => ({ id: d.id, date: d.date, title: d.title, met: option === null ? null : cutover === undefined ? false : monthEndsBy(cutover, d.date) }))
    for (const check of checks) {
      if (check.met === false) {
        conflicts.push({
          kind: 'deadline',
          workload: workload.name,
          detail: cutover === undefined ? `${check.id} (${check.date}): not scheduled at all` : `${check.id} (${check.date}): earliest cutover is ${monthName(cutover)}, after the deadline (dependencies, GPU capacity and the ${practice.maxWorkloadsPerMonth}-per-month change limit allow no earlier start)`,
        })
      }
    }
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

  const waves: Plan['waves'] = waveMonths.map((month, index) => {
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

  const gantt: Plan['gantt'] = planned.flatMap((p) => {
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

  const lastMonth = Math.max(start, ...planned.flatMap((p) => (p.timeline ? [monthIndex(p.timeline.decommission.end)] : [])))
  const capacity: Plan['capacity'] = []
  for (let m = start; m <= lastMonth; m++) capacity.push({ month: monthName(m), available: available(m), used: used.get(m) ?? 0 })

  return planSchema.parse({
    schema: 'geopat.plan/v1',
    createdAt: new Date().toISOString(),
    tool: { name: 'geopat', version: GEOPAT_VERSION },
    organisation: inventory.organisation,
    start: inventory.start,
    inventoryFile: inputs.inventoryFile,
    workloads: planned,
    waves,
    gantt,
    dependencyGraph: {
      nodes: planned.map((p) => ({ name: p.name, wave: p.wave, strategy: p.strategy, group: p.group })),
      edges: inventory.workloads.flatMap((w) => w.dependsOn.filter((d) => names.has(d)).map((d) => ({ from: w.name, to: d }))),
      cycles: components.filter((c) => c.length > 1),
    },
    capacity,
    dualRunning: planned.flatMap((p) =>
      p.timeline?.dualRunning && p.option
        ? [
            {
              workload: p.name,
              option: p.option,
              tcoOption: inventory.options.find((o) => o.id === p.option)?.tcoOption ?? null,
              moveStart: p.timeline.assessment.start,
              start: p.timeline.dualRunning.start,
              end: p.timeline.dualRunning.end,
              months: practice.dualRunningMonths,
              gpus: p.gpus,
              overlap: {
                start: p.timeline.pilot.start,
                end: p.timeline.dualRunning.end,
                months: monthIndex(p.timeline.dualRunning.end) - monthIndex(p.timeline.pilot.start) + 1,
              },
            },
          ]
        : [],
    ),
    conflicts,
  })
}
