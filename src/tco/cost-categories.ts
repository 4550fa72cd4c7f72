/**
 * Cost categories: one list for cashflows.csv, the FOCUS export and the present values by
 * category, and the phases of an option's cash flows (whose cost a line is).
 */

export interface CostCategory {
  id: string
  /** FOCUS ChargeCategory. */
  chargeCategory: 'Usage' | 'Purchase' | 'Credit' | 'Adjustment'
  /** FOCUS ServiceCategory (an allowed value). */
  serviceCategory: string
  /** FOCUS PricingUnit of the quantity recorded with the amount. */
  pricingUnit: string
  /**
   * Who is paid: a provider's bill or the organisation's own staff time (both billed cash: the FOCUS
   * export carries them); an expected loss (`risk`: probability × impact), a business-cost estimate
   * (`estimate`) or a valuation (not cash): none of these is billed, the FOCUS export leaves them out.
   */
  basis: 'provider' | 'internal' | 'risk' | 'estimate' | 'valuation'
  description: string
}

export const COST_CATEGORIES: readonly CostCategory[] = [
  { id: 'compute-rental', chargeCategory: 'Usage', serviceCategory: 'Compute', pricingUnit: 'Hours', basis: 'provider', description: 'GPU rental, GPU-hours' },
  {
    id: 'token-api',
    chargeCategory: 'Usage',
    serviceCategory: 'AI and Machine Learning',
    pricingUnit: '1000000 Tokens',
    basis: 'provider',
    description: 'token API, input and output tokens',
  },
  {
    id: 'capex-server',
    chargeCategory: 'Purchase',
    serviceCategory: 'Compute',
    pricingUnit: 'Units',
    basis: 'provider',
    description: 'servers bought (nodes)',
  },
  {
    id: 'capex-network-storage',
    chargeCategory: 'Purchase',
    serviceCategory: 'Networking',
    pricingUnit: 'Units',
    basis: 'provider',
    description: 'network and storage share of server capex',
  },
  {
    id: 'support',
    chargeCategory: 'Purchase',
    serviceCategory: 'Compute',
    pricingUnit: 'Months',
    basis: 'provider',
    description: 'hardware support contracts',
  },
  {
    id: 'power',
    chargeCategory: 'Usage',
    serviceCategory: 'Compute',
    pricingUnit: 'kWh',
    basis: 'provider',
    description: 'energy at the meter (IT load × PUE)',
  },
  {
    id: 'colocation',
    chargeCategory: 'Usage',
    serviceCategory: 'Compute',
    pricingUnit: 'kW-Months',
    basis: 'provider',
    description: 'colocation per provisioned kW',
  },
  { id: 'staff', chargeCategory: 'Usage', serviceCategory: 'Other', pricingUnit: 'FTE-Months', basis: 'internal', description: 'operations staff' },
  { id: 'egress', chargeCategory: 'Usage', serviceCategory: 'Networking', pricingUnit: 'GB', basis: 'provider', description: 'data egress' },
  {
    id: 'switching',
    chargeCategory: 'Usage',
    serviceCategory: 'Migration',
    pricingUnit: 'GB',
    basis: 'provider',
    description: 'C13 switching charges (exit fee, data copied out)',
  },
  {
    id: 'revalidation',
    chargeCategory: 'Purchase',
    serviceCategory: 'Migration',
    pricingUnit: 'Units',
    basis: 'internal',
    description: 'C14 re-validation of the new setup',
  },
  {
    id: 'migration-project',
    chargeCategory: 'Purchase',
    serviceCategory: 'Migration',
    pricingUnit: 'Units',
    basis: 'internal',
    description: 'engineering of the move',
  },
  {
    id: 'residual-value',
    chargeCategory: 'Credit',
    serviceCategory: 'Compute',
    pricingUnit: 'Units',
    basis: 'valuation',
    description: 'servers at the horizon: undepreciated book value, or resale value by age with finance mechanics (credit)',
  },
  {
    id: 'C1-transfer-impact-assessment',
    chargeCategory: 'Usage',
    serviceCategory: 'Security',
    pricingUnit: 'Hours',
    basis: 'internal',
    description: 'C1 transfer impact assessments',
  },
  {
    id: 'C2-dpia-ai-act',
    chargeCategory: 'Usage',
    serviceCategory: 'Security',
    pricingUnit: 'Months',
    basis: 'internal',
    description: 'C2 DPIA; AI Act high-risk obligations',
  },
  {
    id: 'C3-contracting',
    chargeCategory: 'Usage',
    serviceCategory: 'Security',
    pricingUnit: 'Hours',
    basis: 'internal',
    description: 'C3 SCC/DPA contracting, vendor due diligence',
  },
  {
    id: 'C4-redaction',
    chargeCategory: 'Usage',
    serviceCategory: 'Security',
    pricingUnit: '1000000 Tokens',
    basis: 'provider',
    description: 'C4 prompt redaction',
  },
  {
    id: 'C5-redaction-quality',
    chargeCategory: 'Adjustment',
    serviceCategory: 'Other',
    pricingUnit: 'Months',
    basis: 'estimate',
    description: 'C5 redaction quality loss (a business-cost estimate)',
  },
  {
    id: 'C6-audit-logs',
    chargeCategory: 'Usage',
    serviceCategory: 'Management and Governance',
    pricingUnit: 'GB',
    basis: 'provider',
    description: 'C6 audit-log ingest and retention',
  },
  {
    id: 'C7-compliance-staff',
    chargeCategory: 'Usage',
    serviceCategory: 'Security',
    pricingUnit: 'FTE-Months',
    basis: 'internal',
    description: 'C7 DPO / compliance staff share',
  },
  {
    id: 'C8-vendor-assurance',
    chargeCategory: 'Usage',
    serviceCategory: 'Security',
    pricingUnit: 'Hours',
    basis: 'internal',
    description: 'C8 vendor assurance, DORA exit tests',
  },
  {
    id: 'C9-expected-regulatory-loss',
    chargeCategory: 'Adjustment',
    serviceCategory: 'Security',
    pricingUnit: 'Months',
    basis: 'risk',
    description: 'C9 expected regulatory loss (probability × capped fine)',
  },
  {
    id: 'C10-dpf-reserve',
    chargeCategory: 'Adjustment',
    serviceCategory: 'Security',
    pricingUnit: 'Months',
    basis: 'risk',
    description: 'C10 expected loss from a DPF invalidation (rate × spend with the provider)',
  },
  {
    id: 'C12-regional-surcharge',
    chargeCategory: 'Usage',
    serviceCategory: 'Compute',
    pricingUnit: 'Months',
    basis: 'provider',
    description: 'C12 regional-processing surcharge',
  },
  {
    id: 'C15-ai-act-high-risk',
    chargeCategory: 'Usage',
    serviceCategory: 'Security',
    pricingUnit: 'Months',
    basis: 'internal',
    description: 'C15 AI Act high-risk obligations (QMS, conformity, documentation, monitoring)',
  },
  {
    id: 'C16-dora-ict-third-party',
    chargeCategory: 'Usage',
    serviceCategory: 'Security',
    pricingUnit: 'Hours',
    basis: 'internal',
    description: 'C16 DORA ICT third-party risk (register, Art. 30 contracts, exit plans, TLPT)',
  },
  {
    id: 'C17-nis2',
    chargeCategory: 'Usage',
    serviceCategory: 'Security',
    pricingUnit: 'Months',
    basis: 'internal',
    description: 'C17 NIS2 cybersecurity risk-management measures',
  },
  // Finance mechanics (data/finance/mechanics.yaml).
  {
    id: 'commitment-stranded',
    chargeCategory: 'Usage',
    serviceCategory: 'Compute',
    pricingUnit: 'Hours',
    basis: 'provider',
    description: 'committed GPU-hours billed but not used (a ramp, a shrink, or after an exit until the 1-/3-year term ends)',
  },
  {
    id: 'resale-proceeds',
    chargeCategory: 'Credit',
    serviceCategory: 'Compute',
    pricingUnit: 'Units',
    basis: 'valuation',
    description: 'servers sold at their resale value when replaced inside the horizon (credit; not billed)',
  },
  {
    id: 'tax-shield',
    chargeCategory: 'Credit',
    serviceCategory: 'Other',
    pricingUnit: 'Months',
    basis: 'valuation',
    description: 'tax saved on the straight-line depreciation of owned servers (credit; not billed)',
  },
]

/** Billed cash (a provider's invoice or own staff time): what the FOCUS export carries and the TCO's billed total sums. */
export function isBilled(category: Pick<CostCategory, 'basis'>): boolean {
  return category.basis === 'provider' || category.basis === 'internal'
}

function categoryIndex(id: string): number {
  const index = COST_CATEGORIES.findIndex((category) => category.id === id)
  if (index === -1) throw new Error(`no cost category ${id}`)
  return index
}

/**
 * Indices into COST_CATEGORIES by id (never written as numbers: a category added anywhere in the
 * list cannot shift another's), for the evaluator's hot loop.
 */
export const CATEGORY = {
  computeRental: categoryIndex('compute-rental'),
  tokenApi: categoryIndex('token-api'),
  capexServer: categoryIndex('capex-server'),
  capexNetworkStorage: categoryIndex('capex-network-storage'),
  support: categoryIndex('support'),
  power: categoryIndex('power'),
  colocation: categoryIndex('colocation'),
  staff: categoryIndex('staff'),
  egress: categoryIndex('egress'),
  switching: categoryIndex('switching'),
  revalidation: categoryIndex('revalidation'),
  migrationProject: categoryIndex('migration-project'),
  residualValue: categoryIndex('residual-value'),
  c1: categoryIndex('C1-transfer-impact-assessment'),
  c2: categoryIndex('C2-dpia-ai-act'),
  c3: categoryIndex('C3-contracting'),
  c4: categoryIndex('C4-redaction'),
  c5: categoryIndex('C5-redaction-quality'),
  c6: categoryIndex('C6-audit-logs'),
  c7: categoryIndex('C7-compliance-staff'),
  c8: categoryIndex('C8-vendor-assurance'),
  c9: categoryIndex('C9-expected-regulatory-loss'),
  c10: categoryIndex('C10-dpf-reserve'),
  c12: categoryIndex('C12-regional-surcharge'),
  c15: categoryIndex('C15-ai-act-high-risk'),
  c16: categoryIndex('C16-dora-ict-third-party'),
  c17: categoryIndex('C17-nis2'),
  commitmentStranded: categoryIndex('commitment-stranded'),
  resaleProceeds: categoryIndex('resale-proceeds'),
  taxShield: categoryIndex('tax-shield'),
} as const
export const CATEGORY_COUNT = COST_CATEGORIES.length

/** Whose cost a line is inside an option's cash flows: the option's own, or the baseline's before the move or while both run. */
export const PHASES = ['own', 'before-move', 'dual-running', 'staying'] as const
/** staying: an estate's workloads that this option does not move, still on today's hosts (src/tco/estate.ts). */
export const PHASE = {
  own: PHASES.indexOf('own'),
  beforeMove: PHASES.indexOf('before-move'),
  dualRunning: PHASES.indexOf('dual-running'),
  staying: PHASES.indexOf('staying'),
} as const
