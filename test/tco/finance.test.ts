import { irr, npv, pmt } from 'financial'
import { describe, expect, it } from 'vitest'
import { capitalRecoveryFactor, incrementalIrr, monthlyRate, ownedGpuHourCost, paybackMonth, presentValue } from '../../src/tco/finance.js'

describe("NPV and IRR against numpy-financial's published examples", () => {
  // numpy.org/numpy-financial/latest/npv.html: rate, cashflows = 0.08, [-40_000, 5_000, 8_000, 12_000, 30_000];
  // npf.npv(rate, cashflows).round(5) → 3065.22267
  it('npv(0.08, [-40000, 5000, 8000, 12000, 30000]) = 3065.22267', () => {
    expect(npv(0.08, [-40_000, 5_000, 8_000, 12_000, 30_000])).toBeCloseTo(3065.22267, 5)
  })

  // numpy.org/numpy-financial/latest/irr.html (and numpy ≤ 1.17's np.irr): round(irr(...), 5)
  it.each([
    [[-100, 39, 59, 55, 20], 0.28095],
    [[-100, 0, 0, 74], -0.0955],
    [[-100, 100, 0, -7], -0.0833],
    [[-100, 100, 0, 7], 0.06206],
    [[-5, 10.5, 1, -8, 1], 0.0886],
  ])('irr(%j) = %f', (flows, expected) => {
    expect(irr(flows)).toBeCloseTo(expected, 4)
  })

  it("our incremental IRR is the library's per period, annualized from months", () => {
    const result = incrementalIrr([-100, 39, 59, 55, 20])
    expect(result.monthly).toBeCloseTo(0.28095, 5)
    expect(result.annual).toBeCloseTo(1.28095 ** 12 - 1, 3)
    expect(incrementalIrr([10, 20]).annual).toBeNull()
    expect(incrementalIrr([-10, -20]).note).toMatch(/never saves/)
  })

  it('presentValue discounts month m by (1 + WACC)^(-m/12), i.e. npv at the monthly rate', () => {
    const flows = [-1000, 100, 200, 300, 400, 500]
    expect(monthlyRate(0.08)).toBeCloseTo(1.08 ** (1 / 12) - 1, 15)
    expect(presentValue(0.08, flows)).toBeCloseTo(
      flows.reduce((sum, value, month) => sum + value / 1.08 ** (month / 12), 0),
      9,
    )
    // 36 months of 730 at 0%: the plain sum.
    expect(presentValue(0, new Array(36).fill(730))).toBeCloseTo(26_280, 9)
  })

  it('payback: the month by whose end cumulative savings turn ≥ 0 for good', () => {
    expect(paybackMonth([-100, 30, 30, 30, 30])).toBe(4)
    expect(paybackMonth([10, 10])).toBe(0)
    expect(paybackMonth([-100, 10, 10])).toBeNull()
    expect(paybackMonth([-100, 60, 60, -50, 60])).toBe(4)
    // Discounted break-even is later than the plain one.
    expect(paybackMonth([-100, 26, 26, 26, 26, 26], 0.05)).toBe(5)
    expect(paybackMonth([-100, 26, 26, 26, 26, 26])).toBe(4)
  })
})

describe("the reference's on-prem worked example", () => {
  it("capital recovery factor r(1+r)^n/((1+r)^n − 1) equals numpy-financial's payment per unit", () => {
    expect(capitalRecoveryFactor(0.08, 4)).toBeCloseTo(-pmt(0.08, 4, 1), 12)
    expect(capitalRecoveryFactor(0.08, 4)).toBeCloseTo(0.3019208, 6)
    expect(capitalRecoveryFactor(0, 5)).toBe(0.2)
  })

  it('$300k 8×H100 server, 4 yr, 8% WACC, 70% of 10.2 kW, PUE 1.4, $0.15/kWh → $2.2–2.4 per GPU-hour before staff', () => {
    // economics.md: "≈ $2.2–2.4 per GPU-hour at 100% allocation, before staff". Capex is annualized
    // with the capital recovery factor at WACC over the 4 years: 360,000 (server + 20% network/storage,
    // the middle of the reference's 15–25%) × 0.30192 = $108,691/yr over 8 × 8,760 GPU-hours = $1.551;
    // support 10%/yr of that capex (middle of 8–12%) = $36,000/yr → $0.514; power 10.2/8 kW × 0.7 × 1.4
    // × $0.15 = $0.187. Total $2.252.
    const server = {
      serverCapex: 300_000,
      gpusPerNode: 8,
      networkStorageShare: 0.2,
      supportPerYear: 0.1,
      years: 4,
      wacc: 0.08,
      powerKwPerGpu: 10.2 / 8,
      powerUtilization: 0.7,
      pue: 1.4,
      energyPerKWh: 0.15,
    }
    const cost = ownedGpuHourCost(server)
    expect(cost.capex).toBeCloseTo((360_000 * 0.3019208) / 70_080, 4)
    expect(cost.support).toBeCloseTo(36_000 / 70_080, 6)
    expect(cost.power).toBeCloseTo(1.275 * 0.7 * 1.4 * 0.15, 9)
    expect(cost.beforeStaff).toBeGreaterThanOrEqual(2.2)
    expect(cost.beforeStaff).toBeLessThanOrEqual(2.4)
    expect(cost.beforeStaff).toBeCloseTo(2.252, 3)
    expect(cost.withStaff).toBe(cost.beforeStaff)
    // Staff spread over the installed GPUs: 1 FTE at 150k over 16 GPUs.
    const withStaff = ownedGpuHourCost({
      ...server,
      staffCostPerYear: 150_000,
      staffGpus: 16,
    })
    expect(withStaff.staff).toBeCloseTo(150_000 / (16 * 8760), 9)
  })
})
