import { join } from 'node:path'
import { loadYamlFile } from '../schema/load-file.js'
import { type SealLevel, sealRank } from '../schema/catalog.js'
import {
  type ComplianceComponentId,
  type ComplianceComponentsFile,
  type FineCeiling,
  type FineCeilingsFile,
  complianceComponentsFileSchema,
  fineCeilingsFileSchema,
} from '../schema/tco-model.js'
import { UserError } from '../util/errors.js'
import { PACKAGE_ROOT } from '../util/version.js'

/**
 * The compliance tax (economics.md C1–C14): its data (parameters with sources, fine ceilings),
 * which components apply to which option, the C9 fine formula and the C11 sovereignty gate.
 * The monthly cost lines themselves are emitted with the option's other costs (tco-evaluate.ts),
 * from these parameters.
 */

export const BUILT_IN_COMPONENTS_FILE = join(PACKAGE_ROOT, 'data', 'compliance', 'components.yaml')
export const BUILT_IN_FINES_FILE = join(PACKAGE_ROOT, 'data', 'compliance', 'fine-ceilings.yaml')

/** Every parameter the formulas read; a components file must define each. */
export const COMPLIANCE_PARAMETERS = [
  'hourlyRate',
  'tiaHoursPerTransfer',
  'transferFlows',
  'dpiaHoursPerUseCase',
  'useCases',
  'highRiskSystems',
  'highRiskCostPerSystemPerYear',
  'contractingHoursNewVendor',
  'contractingHoursPerVendorYear',
  'redactionPerMtok',
  'redactionQualityLossPerMonth',
  'auditLogGBPerMonth',
  'auditLogIngestPerGB',
  'auditLogStoragePerGBMonth',
  'auditLogRetentionMonths',
  'complianceFte',
  'complianceLoadedCostPerYear',
  'vendorAssuranceHoursPerVendorYear',
  'dpfReserveRatePerYear',
  'regionalSurcharge',
  'dualRunningMonths',
  'revalidationCost',
] as const
export type ComplianceParameterName = (typeof COMPLIANCE_PARAMETERS)[number]

/** Components an option's `compliance:` list may name (the others come from its own drivers or are the gate). */
export const COSTED_COMPONENTS: readonly ComplianceComponentId[] = ['C1', 'C2', 'C3', 'C4', 'C5', 'C6', 'C7', 'C8', 'C10', 'C12']

export interface ComplianceData {
  components: ComplianceComponentsFile
  fines: FineCeilingsFile
  componentsFile: string
  finesFile: string
}

export function loadComplianceData(files: { componentsFile?: string; finesFile?: string } = {}): ComplianceData {
  const componentsFile = files.componentsFile ?? BUILT_IN_COMPONENTS_FILE
  const finesFile = files.finesFile ?? BUILT_IN_FINES_FILE
  const components = loadYamlFile(componentsFile, complianceComponentsFileSchema)
  for (const name of COMPLIANCE_PARAMETERS) {
    if (components.parameters[name] === undefined) throw new UserError(`${componentsFile}: parameters.${name}: is required (the compliance-tax formulas use it)`)
  }
  const ids = new Set(components.components.map((component) => component.id))
  for (let n = 1; n <= 14; n++) {
    if (!ids.has(`C${n}` as (typeof components.components)[number]['id'])) throw new UserError(`${componentsFile}: components: C${n} is missing (C1–C14 are all required)`)
  }
  return { components, fines: loadYamlFile(finesFile, fineCeilingsFileSchema), componentsFile, finesFile }
}

/** EU-27 and the EEA (Iceland, Liechtenstein, Norway), and `EU` for an EU-wide entity. */
export const EU_EEA_COUNTRIES: ReadonlySet<string> = new Set([
  'AT', 'BE', 'BG', 'HR', 'CY', 'CZ', 'DK', 'EE', 'FI', 'FR', 'DE', 'GR', 'HU', 'IE', 'IT', 'LV', 'LT', 'LU', 'MT', 'NL', 'PL', 'PT', 'RO', 'SK', 'SI', 'ES', 'SE',
  'IS', 'LI', 'NO', 'EU',
])

/** A provider whose ultimate parent sits outside the EU/EEA (reach of e.g. the US CLOUD Act). */
export function isNonEuParent(parentCountry: string): boolean {
  return !EU_EEA_COUNTRIES.has(parentCountry)
}

/**
 * The components that apply to an option: its own `compliance:` list when it gives one, else the
 * data file's `appliesTo` rule (all; non-eu-parent; listed = only when an option lists it).
 * `migrating` components apply to every option but the baseline.
 */
export function applicableComponents(
  data: ComplianceComponentsFile,
  option: { compliance?: readonly ComplianceComponentId[]; parentCountry: string | undefined; isBaseline: boolean },
): Set<ComplianceComponentId> {
  if (option.compliance) return new Set(option.compliance)
  const applies = new Set<ComplianceComponentId>()
  for (const component of data.components) {
    if (!COSTED_COMPONENTS.includes(component.id as ComplianceComponentId)) continue
    const id = component.id as ComplianceComponentId
    if (component.appliesTo === 'all') applies.add(id)
    else if (component.appliesTo === 'non-eu-parent' && option.parentCountry !== undefined && isNonEuParent(option.parentCountry)) applies.add(id)
    else if (component.appliesTo === 'migrating' && !option.isBaseline) applies.add(id)
  }
  return applies
}

/**
 * A fine's ceiling for a company with `turnover`: the higher of the fixed amount and the share of
 * turnover; for an SME under a rule that says so (AI Act Art. 99(6)), the lower.
 */
export function fineCap(fine: Pick<FineCeiling, 'fixedAmount' | 'shareOfTurnover' | 'smeRule'>, turnover: number, sme: boolean, fixedAmountInModelCurrency = fine.fixedAmount): number {
  const share = fine.shareOfTurnover * turnover
  return sme && fine.smeRule === 'lower' ? Math.min(fixedAmountInModelCurrency, share) : Math.max(fixedAmountInModelCurrency, share)
}

/** C9 per year: Σ p × min(cap, severity × turnover). */
export function expectedRegulatoryLoss(
  risks: ReadonlyArray<{ probabilityPerYear: number; severity: number; fine: Pick<FineCeiling, 'fixedAmount' | 'shareOfTurnover' | 'smeRule'> }>,
  turnover: number,
  sme: boolean,
): number {
  let total = 0
  for (const risk of risks) total += risk.probabilityPerYear * Math.min(fineCap(risk.fine, turnover, sme), risk.severity * turnover)
  return total
}

export interface GateResult {
  feasible: boolean
  /** Why the option is excluded (null when feasible). */
  reason: string | null
  requiredSeal: SealLevel | null
}

/**
 * C11: an option is infeasible when its SEAL level is below the level that any data class it
 * would carry requires. Not a cost: the option leaves the comparison, with the reason.
 */
export function sealGate(optionSeal: SealLevel, carried: ReadonlyArray<{ name: string; requiredSeal: SealLevel }>): GateResult {
  let strictest: { name: string; requiredSeal: SealLevel } | undefined
  for (const dataClass of carried) {
    if (strictest === undefined || sealRank(dataClass.requiredSeal) > sealRank(strictest.requiredSeal)) strictest = dataClass
  }
  if (strictest === undefined) return { feasible: true, reason: null, requiredSeal: null }
  if (sealRank(optionSeal) >= sealRank(strictest.requiredSeal)) return { feasible: true, reason: null, requiredSeal: strictest.requiredSeal }
  const failing = carried.filter((dataClass) => sealRank(optionSeal) < sealRank(dataClass.requiredSeal)).map((dataClass) => `${dataClass.name} (${dataClass.requiredSeal})`)
  return {
    feasible: false,
    reason: `C11 sovereignty gate: ${optionSeal} is below the level required by data class${failing.length > 1 ? 'es' : ''} ${failing.join(', ')}`,
    requiredSeal: strictest.requiredSeal,
  }
}
