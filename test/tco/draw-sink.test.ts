import { npv } from 'financial'
import { describe, expect, it } from 'vitest'
import { loadCatalog } from '../../src/pricing/catalog.js'
import { loadComplianceData } from '../../src/tco/compliance-tax.js'
import { monthlyRate, paybackMonth } from '../../src/tco/finance.js'
import { DrawSink, evaluatedOptions, sampleDrivers } from '../../src/tco/monte-carlo.js'
import { emitOption, prepareDraw } from '../../src/tco/evaluate.js'
import { MonthlySink } from '../../src/tco/sinks.js'
import type { ModelPlan } from '../../src/tco/model-plan.js'
import { compileModel } from '../../src/tco/compile.js'
import { catalogPrices } from '../../src/app/tco.js'
import { loadYamlFile } from '../../src/io/schema/load-file.js'
import { tcoModelSchema } from '../../src/io/schema/tco-model.js'

/**
 * The Monte Carlo prices each draw with DrawSink (a difference array, one pass over the months); the
 * report's cash flows come from MonthlySink (every month and category). On the example model, every
 * mechanic and compliance line on (ramps, commitments, trends, dual running, switching), the draw's
 * NPV must be what numpy-financial's npv gives on MonthlySink's monthly totals, and its payback what
 * paybackMonth gives on the monthly savings against the baseline, for the central values and for
 * sampled draws.
 */

const FILE = 'scenarios/tco-eu-exit.yaml'
const catalog = loadCatalog()
const prices = catalogPrices(catalog, new Date(), FILE)
const plan = compileModel(loadYamlFile(FILE, tcoModelSchema), FILE, loadComplianceData(), prices)

describe('the Monte Carlo sink against the monthly cash flows', () => {
  it('NPV and payback per option equal numpy-financial and paybackMonth on the monthly totals, central and sampled draws', () => {
    const count = plan.drivers.length
    const sampled = sampleDrivers(plan, 25, 5)
    const draws = [new Float64Array(plan.drivers.map((driver) => driver.distribution.central))]
    for (let draw = 0; draw < 25; draw++) draws.push(sampled.slice(draw * count, (draw + 1) * count))
    const evaluated = evaluatedOptions(plan)
    const sink = new DrawSink(plan)
    const baselineMonths = new Float64Array(plan.months)
    /** Books the option into the draw sink (read by its finish) and returns its deterministic monthly totals. */
    const bookOption = (option: ModelPlan['options'][number], values: Float64Array): number[] => {
      const monthly = new MonthlySink(plan.months)
      emitOption(plan, option, values, monthly)
      emitOption(plan, option, values, sink)
      return Array.from(monthly.totals())
    }
    for (const values of draws) {
      prepareDraw(plan, values)
      const rate = monthlyRate(values[plan.waccSlot] as number)
      const baseline = plan.options[plan.baseline]
      if (!baseline) throw new Error('no baseline')
      const baselineTotals = bookOption(baseline, values)
      const baselineNpv = sink.finish(baselineMonths)
      expect(Math.abs(baselineNpv - npv(rate, baselineTotals))).toBeLessThan(1e-9 * Math.abs(baselineNpv))
      for (const option of plan.options) {
        if (option.isBaseline || !evaluated[option.index]) continue
        const totals = bookOption(option, values)
        const presentValue = sink.finishAgainst(baselineMonths)
        expect(Math.abs(presentValue - npv(rate, totals))).toBeLessThan(1e-9 * Math.abs(presentValue))
        const payback = paybackMonth(baselineTotals.map((value, month) => value - (totals[month] as number)))
        expect(sink.payback).toBe(payback ?? Number.POSITIVE_INFINITY)
      }
    }
  })
})
