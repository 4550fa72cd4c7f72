import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import YAML from 'yaml'
import { describe, expect, it } from 'vitest'
import { loadCatalog } from '../../src/pricing/catalog.js'
import { runTcoModel } from '../../src/app/tco.js'
import { buildPlan, loadInventory } from '../../src/plan/build-plan.js'
import { catalogCostRanking, priceEstate } from '../../src/plan/estate.js'
import { monthIndex } from '../../src/plan/months.js'
import type { Inventory } from '../../src/io/schema/inventory.js'
import { type Plan, planSchema } from '../../src/io/schema/plan.js'
import { expectOneLineError, runCli } from '../helpers/cli.js'
import type { ReportInputs } from '../../src/report/inputs.js'
import { executiveSection } from '../../src/report/sections/executive.js'

/**
 * One estate (issue 17, scope 1): today's estate priced from the inventory's catalog rows is the
 * TCO's baseline, the plan's offers are the TCO's, and each workload's dual running is its own
 * cut-over window. Every figure is recomputed here from the raw catalog YAML and plan.json, not
 * from the code under test.
 */

const INVENTORY = resolve('scenarios/eu-exit-inventory.yaml')
const MODEL = 'scenarios/tco-eu-exit.yaml'
const work = mkdtempSync(join(tmpdir(), 'geopat-estate-'))
const HOURS = 730

interface RawRow {
  id: string
  provider: string
  unit: string
  price?: number
  gpuCount?: number
  pricePerMtok?: { input: number; output: number }
  currency: string
}
const rawRows = new Map<string, RawRow>(
  readdirSync('data/catalog')
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => (YAML.parse(readFileSync(join('data/catalog', f), 'utf8')).rows ?? []) as RawRow[])
    .map((row) => [row.id, row]),
)
const rawInventory = (): Record<string, any> => YAML.parse(readFileSync(INVENTORY, 'utf8'))
const oneYearDiscount = (
  YAML.parse(readFileSync('data/catalog/pricing-defaults.yaml', 'utf8')).pricingDefaults.discounts as Array<{ pricingModel: string; discountFraction: number }>
).find((d) => d.pricingModel === '1-yr')?.discountFraction as number

/** A workload's monthly cost on a catalog row, by hand: GPUs × $/GPU-h × 730, or average req/s × 730 h × 3600 s × tokens × $/Mtok. */
function byHand(row: RawRow, workload: { gpus: number; averageRequestsPerS?: number; inputTokensPerRequest: number; outputTokensPerRequest: number }): number {
  expect(row.currency).toBe('USD')
  if (row.unit === 'mtok') {
    const requests = (workload.averageRequestsPerS as number) * HOURS * 3600
    return (
      (requests * workload.inputTokensPerRequest * (row.pricePerMtok as { input: number }).input +
        requests * workload.outputTokensPerRequest * (row.pricePerMtok as { output: number }).output) /
      1e6
    )
  }
  const perGpuHour = row.unit === 'instance-hour' ? (row.price as number) / (row.gpuCount as number) : (row.price as number)
  return workload.gpus * perGpuHour * HOURS
}

const todayByHand = (): Map<string, number> =>
  new Map(
    rawInventory().workloads.map((w: any) => [
      w.name,
      byHand(rawRows.get(w.current.catalogRow) as RawRow, {
        gpus: w.current.gpus ?? 0,
        averageRequestsPerS: w.traffic.averageRequestsPerS,
        inputTokensPerRequest: w.traffic.inputTokensPerRequest,
        outputTokensPerRequest: w.traffic.outputTokensPerRequest,
      }),
    ]),
  )

describe("today's estate priced from the catalog", () => {
  it('equals every workload priced by hand from its catalog row (GPU-hours or tokens)', () => {
    const estate = priceEstate(loadInventory(INVENTORY), INVENTORY, loadCatalog({}), 'USD')
    const hand = todayByHand()
    expect(estate.workloads.map((w) => w.name)).toEqual([...hand.keys()])
    for (const workload of estate.workloads) expect(workload.monthlyCost, workload.name).toBeCloseTo(hand.get(workload.name) as number, 6)
    expect(estate.monthlyCost).toBeCloseTo(
      [...hand.values()].reduce((a, b) => a + b, 0),
      4,
    )
    // A workload on a token API is priced per token, never per GPU.
    for (const workload of estate.workloads.filter((w) => rawRows.get(w.catalogRow)?.unit === 'mtok')) {
      expect(workload.gpus).toBe(0)
      expect(workload.inputMtokPerMonth).toBeGreaterThan(0)
    }
  })

  const withWorkload = (change: (w: Record<string, any>) => void): Inventory => {
    const raw = rawInventory()
    change(raw.workloads[0])
    const file = join(work, `inventory-${Math.random().toString(36).slice(2)}.yaml`)
    writeFileSync(file, YAML.stringify(raw))
    return loadInventory(file)
  }
  it.each([
    [
      'no catalog row',
      (w: any) => delete w.current.catalogRow,
      /workloads\.0\.current\.catalogRow: is required: every workload of today's estate is priced from the catalog row of its host/,
    ],
    ['an unknown row', (w: any) => (w.current.catalogRow = 'no-such-row'), /workloads\.0\.current\.catalogRow: no catalog row no-such-row/],
    [
      "another provider's row",
      (w: any) => (w.current.catalogRow = 'aws-bedrock-llama-3.3-70b'),
      /workloads\.0\.current\.catalogRow: row aws-bedrock-llama-3\.3-70b is AWS's, but the workload runs on Azure/,
    ],
    [
      'GPUs on a token API',
      (w: any) => (w.current.gpus = 4),
      /workloads\.0\.current\.gpus: row azure-llama-3\.3-70b is a token API, priced per million tokens/,
    ],
    [
      'a token API without a volume',
      (w: any) => delete w.traffic.averageRequestsPerS,
      /workloads\.0\.traffic\.averageRequestsPerS: is required: support-chatbot runs on a token API/,
    ],
    [
      'rented GPUs without a count',
      (w: any) => Object.assign(w.current, { provider: 'AWS', catalogRow: 'aws-p5.48xlarge-eu-north-1' }),
      /workloads\.0\.current\.gpus: is required: support-chatbot runs on rented GPUs/,
    ],
  ])('%s: one line naming the file, the field and the rule', (_name, change, pattern) => {
    const inventory = withWorkload(change)
    expect(() => priceEstate(inventory, 'inv.yaml', loadCatalog({}), 'USD')).toThrow(pattern)
  })
})

/** plan.json for the shipped inventory, and a USD copy of the TCO model without growth (so that the hand recomputation needs no FX rate). */
function planAndModel(name: string, change: (model: Record<string, any>) => void = () => {}): { planDir: string; plan: Plan; modelFile: string } {
  const inventory = loadInventory(INVENTORY)
  const plan = buildPlan({
    inventory,
    inventoryFile: INVENTORY,
    evidence: new Map(),
    workloadCostOf: catalogCostRanking(inventory, INVENTORY, loadCatalog({})),
  })
  const planDir = join(work, name, 'plan')
  mkdirSync(planDir, { recursive: true })
  writeFileSync(join(planDir, 'plan.json'), JSON.stringify(plan))
  const model = YAML.parse(readFileSync(MODEL, 'utf8'))
  model.currency = 'USD'
  model.demand.growthPerYear = 0
  // Constant prices: these tests recompute the plan's timing at the catalog rows' prices (the finance
  // mechanics' trends, ramp and FX draw are recomputed in test/tco/mechanics.test.ts).
  delete model.finance
  change(model)
  const modelFile = join(work, name, 'model.yaml')
  // The model names its inventory (compliance.inventory) relative to its own folder.
  copyFileSync(INVENTORY, join(work, name, 'eu-exit-inventory.yaml'))
  writeFileSync(modelFile, YAML.stringify(model))
  return { planDir, plan: planSchema.parse(plan), modelFile }
}

function readCashflows(file: string): Array<{ option: string; month: number; phase: string; category: string; amount: number }> {
  const [header, ...lines] = readFileSync(file, 'utf8').trim().split('\n')
  const columns = (header as string).split(',')
  const at = (name: string) => columns.indexOf(name)
  return lines.map((line) => {
    const cells = line.split(',')
    return {
      option: cells[at('option')] as string,
      month: Number(cells[at('monthIndex')]),
      phase: cells[at('phase')] as string,
      category: cells[at('category')] as string,
      amount: Number(cells[at('amount')]),
    }
  })
}

describe('tco --plan: one estate, each wave dual running for its own cut-over window', () => {
  const { planDir, plan, modelFile } = planAndModel('timing')
  const { result, files } = runTcoModel({ modelFile, catalogFiles: [], fxFiles: [], seed: 1, plan: planDir, outDir: join(work, 'timing', 'tco') })
  const flows = readCashflows(files.cashflows)
  const model = YAML.parse(readFileSync(modelFile, 'utf8'))
  const months = model.horizonYears * 12
  const start = monthIndex(model.startMonth)
  const inventory = rawInventory()
  const today = todayByHand()
  const compute = (option: string, month: number, phase?: string): number =>
    flows
      .filter(
        (f) =>
          f.option === option &&
          f.month === month &&
          (f.category === 'compute-rental' || f.category === 'token-api') &&
          (phase === undefined || f.phase === phase),
      )
      .reduce((sum, f) => sum + f.amount, 0)

  it("the baseline's compute is today's estate priced from the catalog, every month, and estate.csv lists it per workload", () => {
    const estate = [...today.values()].reduce((a, b) => a + b, 0)
    for (let month = 0; month < months; month++) expect(compute('stay-aws', month)).toBeCloseTo(estate, 4)
    const [header, ...lines] = readFileSync(join(work, 'timing', 'tco', 'estate.csv'), 'utf8')
      .trim()
      .split('\n')
    const at = (header as string).split(',').indexOf('monthlyCost')
    const perWorkload = new Map(lines.map((line) => [line.split(',')[0] as string, Number(line.split(',')[at])]))
    for (const [name, cost] of today) expect(perWorkload.get(name), name).toBeCloseTo(cost, 4)
  })

  it("the plan's offers and the TCO's are the same catalog rows, and options the plan does not use are left out", () => {
    const used = new Set(plan.workloads.flatMap((w) => (w.option ? [w.option] : [])))
    const costed = result.options.filter((o) => !o.baseline)
    expect(costed.length).toBeGreaterThan(0)
    for (const option of costed) {
      const offer = inventory.options.find((o: any) => o.tcoOption === option.id)
      expect(offer, option.id).toBeDefined()
      expect(used.has(offer.id)).toBe(true)
      if (option.kind !== 'owned') expect(option.catalogRow).toBe(offer.catalogRow)
    }
    for (const offer of inventory.options.filter((o: any) => used.has(o.id))) expect(result.options.map((o) => o.id)).toContain(offer.tcoOption)
  })

  /**
   * One option's compute in one month, by hand: each workload on its old host until the end of its
   * dual running, on the new one from its pilot (at the option's discount); `dual` is the old hosts'
   * share paid while both run. Checks on the way that the window is the plan's own.
   */
  function expectedCompute(month: number, moves: typeof plan.workloads, row: RawRow, discount: number): { expected: number; dual: number } {
    let expected = 0
    let dual = 0
    for (const workload of inventory.workloads) {
      const move = moves.find((m) => m.name === workload.name)
      const old = today.get(workload.name) as number
      if (!move?.timeline) {
        expected += old
        continue
      }
      // The plan's own window for this workload: both hosts paid from its pilot to the end of its dual running.
      const window = plan.dualRunning.find((d) => d.workload === workload.name)?.overlap
      expect(window?.start).toBe(move.timeline.pilot.start)
      expect(window?.end).toBe(move.timeline.dualRunning?.end)
      const arrive = monthIndex(window?.start as string) - start
      const leave = monthIndex(window?.end as string) + 1 - start
      expect(window?.months).toBe(leave - arrive)
      if (month < leave) expected += old
      if (month >= arrive && month < leave) dual += old
      if (month >= arrive) expected += byHand(row, { gpus: workload.traffic.gpus, ...workload.traffic }) * (1 - discount)
    }
    return { expected, dual }
  }

  it("recomputed month by month from plan.json: each workload's hosts overlap over the plan's window for it, no other", () => {
    for (const option of result.options.filter((o) => !o.baseline && o.kind !== 'owned')) {
      const offer = inventory.options.find((o: any) => o.tcoOption === option.id)
      const row = rawRows.get(offer.catalogRow) as RawRow
      const discount = row.unit === 'mtok' ? 0 : oneYearDiscount // the model buys its GPU offers 1-yr at the catalog's default discount
      const moves = plan.workloads.filter((w) => w.option === offer.id && w.timeline)
      expect(moves.length).toBeGreaterThan(0)
      for (let month = 0; month < months; month++) {
        const { expected, dual } = expectedCompute(month, moves, row, discount)
        expect(compute(option.id, month), `${option.id} month ${month}`).toBeCloseTo(expected, 4)
        expect(compute(option.id, month, 'dual-running'), `${option.id} dual running in month ${month}`).toBeCloseTo(dual, 4)
      }
    }
  })

  it("after an option's last cutover, the share of today's estate it does not move keeps its share of the baseline's own costs (egress)", () => {
    const egress = (option: string, month: number, phase: string): number =>
      flows.filter((f) => f.option === option && f.month === month && f.category === 'egress' && f.phase === phase).reduce((sum, f) => sum + f.amount, 0)
    const total = [...today.values()].reduce((a, b) => a + b, 0)
    for (const option of result.options.filter((o) => !o.baseline)) {
      const offer = inventory.options.find((o: any) => o.tcoOption === option.id)
      const moved = plan.workloads.filter((w) => w.option === offer.id && w.timeline)
      const share = 1 - moved.reduce((sum, w) => sum + (today.get(w.name) as number), 0) / total
      const lastLeave = Math.max(...moved.map((w) => monthIndex(w.timeline?.dualRunning?.end as string) + 1 - start))
      expect(egress('stay-aws', 0, 'own')).toBeGreaterThan(0)
      for (let month = lastLeave; month < months; month++)
        expect(egress(option.id, month, 'staying'), `${option.id} month ${month}`).toBeCloseTo(egress('stay-aws', month, 'own') * share, 4)
    }
  })

  it("tco.json says it is one estate, and the report's executive summary tells the plan's story: today's estate and what its moves save, their sum recomputed from the options", () => {
    expect(result.estate?.workloads).toBe(inventory.workloads.length)
    expect(result.estate?.monthlyCost).toBeCloseTo(
      [...today.values()].reduce((a, b) => a + b, 0),
      4,
    )
    // Tokens a month at the workloads' average rates, from the raw inventory: Σ average × (input + output) × 730 h × 3600 s.
    const tokens = (
      inventory.workloads as Array<{ traffic: { averageRequestsPerS: number; inputTokensPerRequest: number; outputTokensPerRequest: number } }>
    ).reduce((sum, w) => sum + w.traffic.averageRequestsPerS * (w.traffic.inputTokensPerRequest + w.traffic.outputTokensPerRequest) * 730 * 3600, 0)
    expect(result.estate?.tokensPerMonth).toBeCloseTo(tokens, 0)
    // Every move of plan.json, by the TCO option its target is costed as.
    const byOption = new Map<string, string[]>()
    for (const move of plan.dualRunning) byOption.set(move.tcoOption as string, [...(byOption.get(move.tcoOption as string) ?? []), move.workload])
    for (const [option, workloads] of byOption)
      if (result.options.some((o) => o.id === option)) expect(result.estate?.moves[option]?.slice().sort()).toEqual(workloads.slice().sort())
    const file = { kind: 'tco' as const, path: 'tco.json', absolutePath: '/tco.json', bytes: 0, sha256: '', usedBy: new Set<never>() }
    const inputs: ReportInputs = {
      folders: [],
      bench: [],
      compare: [],
      sizing: [],
      plan: [],
      tco: [{ file, data: result, folder: '.' }],
      records: [],
      files: [file],
    }
    const section = executiveSection(inputs, [])
    const figures = section?.figures ?? []
    expect(figures.some((f) => f.label.startsWith('Lowest'))).toBe(false)
    const saved = figures.find((f) => f.label.startsWith("What the plan's moves save"))
    // The sum of the parts' P50 savings, read from the options here, not from the code's own figure.
    const parts = result.options.filter((o) => !o.baseline && o.feasible)
    expect(parts.length).toBeGreaterThan(1)
    const total = parts.reduce((sum, o) => sum + (o.monteCarlo?.savings?.p50 as number), 0)
    expect(saved?.value).toContain(`${total >= 0 ? '+' : '−'}${Math.round(Math.abs(total)).toLocaleString('en')}`)
    for (const part of parts) expect(saved?.detail).toContain(part.id)
    expect(section?.recommendation.join(' ')).toMatch(/^Follow the plan: its moves save/)
    const todayFigure = figures.find((f) => f.label.startsWith("Today's estate"))
    const perMtok = ([...today.values()].reduce((a, b) => a + b, 0) / tokens) * 1e6
    expect(todayFigure?.detail).toContain(`${perMtok.toFixed(2)} USD per million tokens served today`)
  })

  it('the owned option holds the GPUs of the workloads the plan moves to it', () => {
    const owned = result.options.find((o) => o.kind === 'owned')
    const offer = inventory.options.find((o: any) => o.tcoOption === owned?.id)
    const gpus = inventory.workloads
      .filter((w: any) => plan.workloads.find((p) => p.name === w.name)?.option === offer.id)
      .reduce((sum: number, w: any) => sum + w.traffic.gpus, 0)
    expect(gpus).toBeGreaterThan(0)
    expect(result.warnings.join('\n')).toContain(`${owned?.id}: owns the ${gpus} GPUs of the workloads the plan moves to it`)
  })
}, 60_000)

describe('offers bound once', () => {
  it('a TCO option that prices another row than the inventory option naming it is one line naming file, field and rule', async () => {
    const { planDir, modelFile } = planAndModel('mismatch', (model) => {
      model.options.find((o: any) => o.id === 'eu-gpu-cloud').catalogRow = 'nebius-h100-eu-north1'
    })
    const line = expectOneLineError(await runCli(['tco', modelFile, '--plan', planDir, '--out', join(work, 'mismatch', 'tco')]))
    expect(line).toMatch(
      /model\.yaml: options\.\d+\.catalogRow: nebius-h100-eu-north1 is not the offer the inventory's option verda-fi names \(verda-h100-fi, .*eu-exit-inventory\.yaml\): the plan's options and the TCO's must price the same catalog row$/,
    )
  }, 60_000)

  it('two inventory options costed as one TCO option is one line', async () => {
    const raw = rawInventory()
    raw.options.push({ ...raw.options[0], id: 'nebius-fi', catalogRow: 'nebius-h100-eu-north1', provider: 'Nebius', benchEndpoint: undefined })
    const file = join(work, 'two-offers.yaml')
    writeFileSync(file, YAML.stringify(raw))
    const line = expectOneLineError(
      await runCli(['plan', file, '--out', join(work, 'two-offers-plan')]).then(async (planRun) => {
        expect(planRun.exitCode).toBe(0)
        return runCli(['tco', MODEL, '--plan', join(work, 'two-offers-plan'), '--out', join(work, 'two-offers-tco')])
      }),
    )
    expect(line).toMatch(/two-offers\.yaml: options\.4\.tcoOption: eu-gpu-cloud is already options\.0's \(verda-fi\) TCO option: one TCO option per offer/)
  }, 60_000)

  it("an option's offer of the wrong kind is one line", async () => {
    const raw = rawInventory()
    raw.options[0].catalogRow = 'stackit-llama-3.3-70b'
    const file = join(work, 'wrong-kind.yaml')
    writeFileSync(file, YAML.stringify(raw))
    const line = expectOneLineError(await runCli(['plan', file, '--out', join(work, 'wrong-kind-plan')]))
    expect(line).toMatch(
      /wrong-kind\.yaml: options\.0\.catalogRow: row stackit-llama-3\.3-70b is not a GPU rental: a eu-gpu-cloud option needs a row priced per GPU- or instance-hour$/,
    )
  }, 60_000)
})
