import type { TcoResult } from '../../src/io/schema/tco-result.js'

/** A label a server, a scenario or a user could send: it must show as text and run nothing. */
export const XSS_LABEL = '<img src=x onerror=alert(1)>'
export const XSS_MODEL = '<img src=y onerror=alert(2)>'

const option = (over: Partial<TcoResult['options'][number]> & Pick<TcoResult['options'][number], 'id'>): TcoResult['options'][number] => ({
  name: over.id,
  kind: 'rental',
  strategy: 'replatform',
  provider: 'provider',
  region: 'region',
  jurisdiction: { region: 'DE', parent: 'DE' },
  seal: 'SEAL-3',
  catalogRow: null,
  gpu: 'H100 SXM',
  baseline: false,
  feasible: true,
  excludedReason: null,
  requiredSeal: 'SEAL-2',
  complianceComponents: [],
  deterministic: null,
  savings: null,
  monteCarlo: null,
  perGpuHour: null,
  switching: null,
  notes: [],
  ...over,
})

/**
 * A tco.json as `geopat tco` writes it (src/io/schema/tco-result.ts), small and hand-made: a
 * hyperscaler baseline, an EU GPU cloud, an owned cluster, and an option the sovereignty gate
 * excludes. The EU option's name carries an XSS label.
 */
export function tcoFixture(): TcoResult {
  const years = (a: number, growth: number) => [0, 1, 2, 3, 4].map((y) => Math.round(a * (1 + growth) ** y))
  return {
    kind: 'geopat-tco',
    geopatVersion: '0.1.0',
    model: {
      file: 'scenarios/eu-exit-tco.yaml',
      name: 'EU exit',
      description: 'hyperscaler to EU GPU cloud',
      currency: 'EUR',
      startMonth: '2027-01',
      horizonYears: 5,
      baseline: 'azure-us',
      conventions: 'monthly cash flows; costs positive; savings = baseline cost - option cost',
    },
    monteCarlo: { draws: 2000, seed: 1, uncertainDrivers: 3, method: 'independent draws per uncertain driver' },
    options: [
      option({
        id: 'azure-us',
        name: 'Azure US (baseline)',
        provider: 'Azure',
        region: 'eastus',
        jurisdiction: { region: 'US', parent: 'US' },
        seal: 'SEAL-1',
        strategy: null,
        baseline: true,
        complianceComponents: ['C1-transfer-impact-assessment', 'C10-dpf-reserve'],
        deterministic: {
          npvCost: 1_900_000,
          totalCost: 2_100_000,
          costByYear: years(380_000, 0.05),
          presentValueByCategory: { 'compute-rental': 1_700_000, 'C1-transfer-impact-assessment': 40_000, 'C10-dpf-reserve': 160_000 },
        },
        monteCarlo: { npvCost: { p10: 1_750_000, p50: 1_900_000, p90: 2_080_000, mean: 1_910_000 }, savings: null },
      }),
      option({
        id: 'verda-fi',
        name: XSS_LABEL,
        provider: 'Verda',
        region: 'fi-1',
        jurisdiction: { region: 'FI', parent: 'FI' },
        complianceComponents: ['C3-contracting', 'C6-audit-logs'],
        deterministic: {
          npvCost: 1_450_000,
          totalCost: 1_600_000,
          costByYear: years(300_000, 0.04),
          presentValueByCategory: { 'compute-rental': 1_300_000, 'migration-project': 100_000, 'C3-contracting': 20_000, 'C6-audit-logs': 30_000 },
        },
        savings: { npv: 450_000, irrAnnual: 0.42, irrNote: null, paybackMonth: 14, paybackCalendarMonth: '2028-03', discountedPaybackMonth: 16 },
        monteCarlo: {
          npvCost: { p10: 1_300_000, p50: 1_460_000, p90: 1_650_000, mean: 1_470_000 },
          savings: { p10: 200_000, p50: 440_000, p90: 700_000, mean: 445_000, probabilityPositive: 0.93 },
        },
        switching: { date: '2027-06', charged: false, note: 'after the EU Data Act switching-charge deadline' },
      }),
      option({
        id: 'on-prem-de',
        kind: 'owned',
        provider: 'own',
        region: 'Frankfurt',
        complianceComponents: ['C7-compliance-staff'],
        deterministic: {
          npvCost: 1_600_000,
          totalCost: 1_900_000,
          costByYear: [900_000, 250_000, 250_000, 250_000, 250_000],
          presentValueByCategory: { 'capex-server': 800_000, power: 200_000, staff: 500_000, 'C7-compliance-staff': 100_000 },
        },
        savings: { npv: 300_000, irrAnnual: 0.18, irrNote: null, paybackMonth: 30, paybackCalendarMonth: '2029-07', discountedPaybackMonth: 34 },
        monteCarlo: {
          npvCost: { p10: 1_400_000, p50: 1_620_000, p90: 1_900_000, mean: 1_630_000 },
          savings: { p10: 50_000, p50: 280_000, p90: 520_000, mean: 285_000, probabilityPositive: 0.81 },
        },
      }),
      option({
        id: 'aws-eu-sovereign',
        provider: 'AWS',
        region: 'eu-central-sovereign',
        jurisdiction: { region: 'DE', parent: 'US' },
        seal: 'SEAL-2',
        requiredSeal: 'SEAL-3',
        feasible: false,
        excludedReason: 'SEAL-2 is below the SEAL-3 that its data (personal, financial) requires (C11 sovereignty gate)',
      }),
    ],
    tornado: [
      {
        option: 'verda-fi',
        savingsAtCentral: 450_000,
        bars: [
          { driver: 'GPU-hour price verda-fi', low: 1.8, high: 2.6, central: 2.2, savingsAtLow: 620_000, savingsAtHigh: 280_000, swing: 340_000 },
          { driver: 'demand growth', low: 0.02, high: 0.1, central: 0.05, savingsAtLow: 400_000, savingsAtHigh: 520_000, swing: 120_000 },
          { driver: 'migration project', low: 60_000, high: 180_000, central: 100_000, savingsAtLow: 490_000, savingsAtHigh: 370_000, swing: 120_000 },
        ],
      },
    ],
    drivers: [
      {
        name: 'GPU-hour price verda-fi',
        distribution: 'triangular(1.8, 2.2, 2.6)',
        central: 2.2,
        p10: 1.95,
        p90: 2.45,
        origin: 'catalog row verda-fi-h100 (2026-10-01, high)',
      },
      { name: 'demand growth', distribution: 'pert(0.02, 0.05, 0.1)', central: 0.05, p10: 0.03, p90: 0.08, origin: 'model file (assumption)' },
      { name: 'migration project', distribution: 'triangular(60000, 100000, 180000)', central: 100_000, p10: 75_000, p90: 150_000, origin: 'model file' },
    ],
    compliance: {
      componentsFile: 'data/compliance/components.yaml',
      finesFile: 'data/compliance/fine-ceilings.yaml',
      components: [
        { id: 'C1-transfer-impact-assessment', title: 'Transfer impact assessments', appliesTo: 'a parent outside the EU', formula: 'n × 24 h × rate, yearly' },
        { id: 'C3-contracting', title: 'SCC/DPA contracting', appliesTo: 'every provider', formula: 'hours × rate' },
      ],
      switchingChargesProhibitedFrom: '2027-01-12',
    },
    warnings: [],
    files: null,
  }
}
