import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import YAML from 'yaml'
import { describe, expect, it } from 'vitest'
import { loadCatalog } from '../../src/pricing/catalog.js'
import { type PlanInputs, buildPlan as buildPlanUnranked } from '../../src/plan/build-plan.js'
import { catalogCostRanking } from '../../src/plan/estate.js'
import { monthEndsBy, monthIndex } from '../../src/plan/months.js'
import type { LatencyEvidence } from '../../src/plan/recommend.js'
import { sealRank } from '../../src/io/schema/catalog.js'
import { type Inventory, inventorySchema } from '../../src/io/schema/inventory.js'
import { type Plan, planSchema } from '../../src/io/schema/plan.js'
import { expectOneLineError, runCli } from '../helpers/cli.js'

const INVENTORY_FILE = 'scenarios/eu-exit-inventory.yaml'
const work = mkdtempSync(join(tmpdir(), 'geopat-plan-'))
const loadInventory = (): Inventory => inventorySchema.parse(YAML.parse(readFileSync(INVENTORY_FILE, 'utf8')))
const rawInventory = (): Record<string, unknown> => YAML.parse(readFileSync(INVENTORY_FILE, 'utf8'))
/** As `geopat plan` builds it: options ranked per workload by what it would pay there, from their catalog rows. */
const buildPlan = (inputs: PlanInputs): Plan =>
  buildPlanUnranked({ ...inputs, workloadCostOf: catalogCostRanking(inputs.inventory, inputs.inventoryFile, loadCatalog({})) })

/**
 * Checks a plan against its inventory from first principles, whatever the plan chose: the
 * properties every valid plan has, not a snapshot of one.
 */
function checkPlan(plan: Plan, inventory: Inventory): void {
  const byName = new Map(plan.workloads.map((w) => [w.name, w]))
  checkDependencyOrder(byName, inventory)
  checkCapacity(plan, inventory)
  checkDeadlines(plan, byName, inventory)
  checkSovereigntyGate(byName, inventory)
  // Workloads in a dependency cycle share a wave.
  for (const cycle of plan.dependencyGraph.cycles) expect(new Set(cycle.map((name) => byName.get(name)?.wave)).size).toBe(1)
  // Canary ramps and rollback criteria on every move.
  for (const planned of plan.workloads.filter((w) => w.option)) {
    expect(planned.canarySteps.at(-1)).toBe(100)
    expect(planned.rollback.map((r) => r.metric)).toEqual(['ttft-p90', 'tpot-p90', 'error-rate', 'eval-regression', 'cost-per-mtok-deviation'])
  }
}

type PlannedByName = Map<string, Plan['workloads'][number]>

/** Every dependency moves in the same or an earlier wave. */
function checkDependencyOrder(byName: PlannedByName, inventory: Inventory): void {
  for (const workload of inventory.workloads) {
    const planned = byName.get(workload.name)
    if (planned?.wave === null || planned?.wave === undefined) continue
    for (const dependency of workload.dependsOn) {
      const dependencyWave = byName.get(dependency)?.wave
      if (dependencyWave === null || dependencyWave === undefined) continue
      expect(dependencyWave, `${workload.name} depends on ${dependency}`).toBeLessThanOrEqual(planned.wave)
    }
  }
}

/** No month exceeds capacity, recomputed from the workloads' own timelines. */
function checkCapacity(plan: Plan, inventory: Inventory): void {
  const availableIn = (month: number): number => {
    let gpus = 0
    for (const step of inventory.capacity) if (monthIndex(step.from) <= month) gpus = step.gpus
    return gpus
  }
  const last = Math.max(...plan.workloads.flatMap((w) => (w.timeline ? [monthIndex(w.timeline.decommission.end)] : [0])))
  for (let month = monthIndex(inventory.start); month <= last; month++) {
    const used = plan.workloads.filter((w) => w.timeline && monthIndex(w.timeline.pilot.start) <= month).reduce((sum, w) => sum + w.gpus, 0)
    expect(used, `GPUs in month ${month}`).toBeLessThanOrEqual(availableIn(month))
  }
}

/** Every deadline is met (checked here independently) or reported as a conflict. */
function checkDeadlines(plan: Plan, byName: PlannedByName, inventory: Inventory): void {
  const deadlineDates = new Map(
    [...YAML.parse(readFileSync('data/regulation/deadlines.yaml', 'utf8')).deadlines, ...inventory.deadlines].map((d: { id: string; date: string }) => [
      d.id,
      String(d.date),
    ]),
  )
  for (const workload of inventory.workloads) {
    const planned = byName.get(workload.name)
    if (!planned?.option) continue
    for (const id of workload.deadlines) {
      const date = deadlineDates.get(id) as string
      const metHere = planned.timeline !== null && monthEndsBy(monthIndex(planned.timeline.cutover), date)
      const reported = plan.conflicts.some((c) => c.kind === 'deadline' && c.workload === workload.name && c.detail.includes(id))
      expect(metHere || reported, `${workload.name}: ${id}`).toBe(true)
      expect(planned.deadlines.find((d) => d.id === id)?.met).toBe(metHere)
    }
  }
}

/** Every option below a workload's required sovereignty (or lacking required CC) is excluded, never chosen. */
function checkSovereigntyGate(byName: PlannedByName, inventory: Inventory): void {
  for (const workload of inventory.workloads) {
    const planned = byName.get(workload.name)
    if (!planned || workload.retire) continue
    for (const option of inventory.options) {
      const gated =
        sealRank(option.sovereignty) < sealRank(workload.requiredSovereignty) || (workload.requiresConfidentialComputing && !option.confidentialComputing)
      if (!gated) continue
      expect(planned.option, `${workload.name} on ${option.id}`).not.toBe(option.id)
      expect(planned.excludedOptions.map((e) => e.option)).toContain(option.id)
    }
  }
}

describe('geopat plan on the shipped inventory', () => {
  const inventory = loadInventory()
  const plan = buildPlan({ inventory, inventoryFile: INVENTORY_FILE, evidence: new Map() })

  it('ships at least 12 workloads, with a cycle, a gated workload and a deadline capacity cannot meet', () => {
    expect(inventory.workloads.length).toBeGreaterThanOrEqual(12)
    expect(plan.dependencyGraph.cycles.length).toBeGreaterThan(0)
    expect(plan.conflicts.some((c) => c.kind === 'no-legal-option')).toBe(true)
    expect(plan.conflicts.some((c) => c.kind === 'deadline')).toBe(true)
    expect(() => planSchema.parse(plan)).not.toThrow()
  })

  it('passes the plan checker', () => checkPlan(plan, inventory))

  it('still passes when capacity is scarce, with more conflicts and never an overbooked month', () => {
    const scarce = { ...inventory, capacity: [{ from: inventory.start, gpus: 20 }] }
    const tight = buildPlan({ inventory: scarce, inventoryFile: 'scarce', evidence: new Map() })
    checkPlan(tight, scarce)
    expect(tight.conflicts.filter((c) => c.kind === 'capacity').length).toBeGreaterThan(0)
  })

  it('uses measured latency: an option measured clearly above the SLO is excluded with the measurement', () => {
    const evidence = new Map<string, LatencyEvidence>([
      ['eu-regional', { source: 'test run', ttftP90: { estimate: 5200, low: 5000, high: 5400 }, tpotP90: null }],
    ])
    const measured = buildPlan({ inventory, inventoryFile: INVENTORY_FILE, evidence })
    checkPlan(measured, inventory)
    const chatbot = measured.workloads.find((w) => w.name === 'support-chatbot')
    expect(chatbot?.option).not.toBe('verda-fi')
    expect(chatbot?.excludedOptions.find((e) => e.option === 'verda-fi')?.reason).toMatch(/TTFT p90/)
    // A measurement well inside the SLO tightens the rollback threshold to the measured noise.
    const fast = new Map<string, LatencyEvidence>([['eu-regional', { source: 'test run', ttftP90: { estimate: 300, low: 280, high: 330 }, tpotP90: null }]])
    // (on a workload the plan places on the measured option, verda-fi, whose TTFT SLO is above 330 ms)
    const onMeasured = buildPlan({ inventory, inventoryFile: INVENTORY_FILE, evidence: fast }).workloads.find((w) => w.option === 'verda-fi')
    expect(inventory.workloads.find((w) => w.name === onMeasured?.name)?.slo.ttftMs).toBeGreaterThan(330)
    expect(onMeasured?.rollback[0]).toMatchObject({ metric: 'ttft-p90', threshold: 330 })
  })

  it('writes plan.json, the CSVs and the DOT graph through the CLI', async () => {
    const out = join(work, 'cli')
    const result = await runCli(['plan', INVENTORY_FILE, '--out', out, '--json'])
    expect(result.exitCode).toBe(0)
    const printed = planSchema.parse(JSON.parse(result.stdout))
    expect(printed.waves.length).toBeGreaterThan(0)
    for (const file of ['plan.json', 'waves.csv', 'workloads.csv', 'gantt.csv', 'dependencies.dot']) expect(existsSync(join(out, file))).toBe(true)
    expect(readFileSync(join(out, 'waves.csv'), 'utf8').split('\n')[0]).toBe('wave,start,cutover,end,gpus,workloads,rationale')
  })
})

describe('bad inventories', () => {
  const write = (name: string, data: unknown): string => {
    const file = join(work, name)
    writeFileSync(file, typeof data === 'string' ? data : YAML.stringify(data))
    return file
  }
  const withWorkload = (change: (w: Record<string, unknown>) => void) => {
    const inventory = rawInventory()
    change((inventory.workloads as Array<Record<string, unknown>>)[0] as Record<string, unknown>)
    return inventory
  }

  it.each([
    ['an unknown field', withWorkload((w) => (w.colour = 'blue')), /workloads\.0.*colour|Unrecognized key/],
    ['a wrong type', withWorkload((w) => (w.traffic = { ...(w.traffic as object), gpus: 'many' })), /workloads\.0\.traffic\.gpus/],
    ['a bad SEAL level', withWorkload((w) => (w.requiredSovereignty = 'SEAL-9')), /workloads\.0\.requiredSovereignty/],
    ['an unknown dependency', withWorkload((w) => (w.dependsOn = ['no-such-workload'])), /no-such-workload/],
    [
      'a workload depending on itself (issue 15.10)',
      withWorkload((w) => (w.dependsOn = [w.name])),
      /workloads\.0\.dependsOn\.0: workload "[a-z0-9._-]+" depends on itself; a workload cannot depend on itself$/,
    ],
    ['an unknown deadline', withWorkload((w) => (w.deadlines = ['no-such-deadline'])), /no-such-deadline/],
    [
      'a duplicate name',
      { ...rawInventory(), workloads: [...(rawInventory().workloads as unknown[]), (rawInventory().workloads as unknown[])[0]] },
      /appears twice/,
    ],
    ['YAML that does not parse', 'workloads: [\n', /invalid YAML/],
  ])('%s: one line, non-zero exit', async (name, data, pattern) => {
    const file = write(`${name.replace(/\W+/g, '-')}.yaml`, data)
    const line = expectOneLineError(await runCli(['plan', file, '--out', join(work, 'bad', name.replace(/\W+/g, '-'))]))
    expect(line).toMatch(pattern)
    expect(line).toContain(file)
  })
})
