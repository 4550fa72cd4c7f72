import type { Deadline, Inventory, InventoryWorkload } from '../io/schema/inventory.js'
import type { PlanConflict } from '../io/schema/plan.js'
import { stronglyConnectedComponents } from './graph.js'
import { monthIndex, monthName, monthOfDate } from './months.js'
import type { Recommendation } from './recommend.js'

/**
 * The plan's groups and their schedule: dependency cycles merged into groups that move together,
 * each inheriting the deadline, value and risk of what depends on it, then started in priority
 * order at the earliest month its dependencies, the GPU capacity and the change limit allow.
 */

const VALUE_RANK = { high: 0, medium: 1, low: 2 } as const
const RISK_RANK = { prohibited: 0, high: 1, gpai: 2, limited: 3, minimal: 4 } as const

export interface Group {
  id: number
  members: InventoryWorkload[]
  dependsOn: Set<number>
  gpus: number
  /** Earliest deadline of the group or of anything that depends on it (inherited). */
  deadlineMonth: number
  value: number
  risk: number
}

export interface Grouping {
  /** Strongly connected components of the moving workloads' dependencies, dependencies first. */
  components: string[][]
  groupOf: Map<string, number>
  groups: Group[]
}

/** Groups: strongly connected components of the dependencies among moving workloads, with their priorities inherited. */
export function groupWorkloads(inventory: Inventory, recommendations: ReadonlyMap<string, Recommendation>, deadlines: ReadonlyMap<string, Deadline>): Grouping {
  const moves = (w: InventoryWorkload): boolean => recommendations.get(w.name)?.option !== null && recommendations.get(w.name)?.option !== undefined
  const moving = inventory.workloads.filter(moves)
  const movingNames = new Set(moving.map((w) => w.name))
  const edges = new Map(moving.map((w) => [w.name, w.dependsOn.filter((d) => movingNames.has(d))]))
  const components = stronglyConnectedComponents(
    moving.map((w) => w.name),
    edges,
  )
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
  inheritPriorities(groups)
  return { components, groupOf, groups }
}

/**
 * A dependency inherits the deadline, value and risk of what depends on it, so that it is not what
 * holds a high-value or deadline-bound workload back (components come dependencies first).
 */
function inheritPriorities(groups: Group[]): void {
  for (let i = groups.length - 1; i >= 0; i--) {
    const group = groups[i] as Group
    for (const dependency of group.dependsOn) {
      const target = groups[dependency] as Group
      target.deadlineMonth = Math.min(target.deadlineMonth, group.deadlineMonth)
      target.value = Math.min(target.value, group.value)
      target.risk = Math.min(target.risk, group.risk)
    }
  }
}

export interface Schedule {
  /** The first month of the plan and the month after its horizon (month indices). */
  start: number
  horizonEnd: number
  /** The month each scheduled group starts (its assessment). */
  startOf: Map<number, number>
  /** GPUs in use per month. */
  used: Map<number, number>
  /** GPUs the capacity gives in a month. */
  available(month: number): number
}

/**
 * Schedule: ready groups (dependencies started) by priority, each at its earliest feasible month;
 * a group that cannot be scheduled is a capacity conflict for each member (pushed to `conflicts`).
 */
export function scheduleGroups(inventory: Inventory, groups: readonly Group[], conflicts: PlanConflict[]): Schedule {
  const start = monthIndex(inventory.start)
  const horizonEnd = start + inventory.horizonMonths
  const available = (month: number): number => {
    let gpus = 0
    for (const step of inventory.capacity) if (monthIndex(step.from) <= month) gpus = step.gpus
    return gpus
  }
  const schedule: Schedule = { start, horizonEnd, startOf: new Map(), used: new Map(), available }
  const startsIn = new Map<number, number>()
  const unscheduled = new Set<number>()
  const done = new Set<number>()
  const priority = (a: Group, b: Group) => a.deadlineMonth - b.deadlineMonth || a.value - b.value || a.risk - b.risk || a.id - b.id
  while (done.size < groups.length) {
    const ready = groups.filter((g) => !done.has(g.id) && [...g.dependsOn].every((d) => done.has(d))).sort(priority)
    const group = ready[0] as Group
    done.add(group.id)
    if ([...group.dependsOn].some((d) => unscheduled.has(d))) {
      unscheduled.add(group.id)
      for (const m of group.members)
        conflicts.push({ kind: 'capacity', workload: m.name, detail: 'cannot be scheduled: a workload it depends on could not be' })
      continue
    }
    const earliest = Math.max(start, ...[...group.dependsOn].map((d) => schedule.startOf.get(d) as number))
    const chosen = earliestFeasibleMonth(inventory, schedule, { group, earliest, startsIn })
    if (chosen === undefined) {
      unscheduled.add(group.id)
      for (const m of group.members) {
        conflicts.push({
          kind: 'capacity',
          workload: m.name,
          detail:
            `needs ${group.gpus} GPU(s) (with its group) that the capacity never frees between ${monthName(earliest)} and the horizon ` +
            `${monthName(horizonEnd - 1)}`,
        })
      }
      continue
    }
    schedule.startOf.set(group.id, chosen)
    startsIn.set(chosen, (startsIn.get(chosen) ?? 0) + group.members.length)
    const lead = inventory.practice.assessmentMonths
    for (let m = chosen + lead; m < horizonEnd; m++) schedule.used.set(m, (schedule.used.get(m) ?? 0) + group.gpus)
  }
  return schedule
}

/** The first month from `earliest` at which the group may start: within the change limit, its GPUs free from its pilot to the horizon. */
function earliestFeasibleMonth(
  inventory: Inventory,
  schedule: Schedule,
  { group, earliest, startsIn }: { group: Group; earliest: number; startsIn: ReadonlyMap<number, number> },
): number | undefined {
  const practice = inventory.practice
  const lead = practice.assessmentMonths
  const ramp = practice.pilotMonths + practice.canaryMonths
  const { horizonEnd, used, available } = schedule
  for (let month = earliest; month + lead + ramp <= horizonEnd; month++) {
    const startsThatMonth = startsIn.get(month) ?? 0
    if (startsThatMonth > 0 && startsThatMonth + group.members.length > practice.maxWorkloadsPerMonth) continue
    let fits = true
    for (let m = month + lead; m < horizonEnd && fits; m++) fits = (used.get(m) ?? 0) + group.gpus <= available(m)
    if (fits) return month
  }
  return undefined
}
