import { join } from 'node:path'
import { loadYamlFile } from '../io/schema/load-file.js'
import { type SealLevel, sealRank } from '../io/schema/catalog.js'
import {
  type ComplianceComponentId,
  type ComplianceComponentsFile,
  type FineCeiling,
  type FineCeilingsFile,
  complianceComponentsFileSchema,
  fineCeilingsFileSchema,
} from '../io/schema/tco-model.js'
import type { Inventory } from '../io/schema/inventory.js'
import { UserError } from '../util/errors.js'
import { PACKAGE_ROOT } from '../util/version.js'
import { EU_MEMBER_STATES } from '../pricing/catalog.js'

/**
 * The compliance tax (economics.md C1–C14, and C15–C17 for the company's own AI Act, DORA and NIS2
 * obligations): its data (parameters with sources, fine ceilings),
 * which components apply to which option, the C9 fine formula and the C11 sovereignty gate.
 * The monthly cost lines themselves are emitted with the option's other costs (evaluate.ts),
 * from these parameters.
 */

const BUILT_IN_COMPONENTS_FILE = join(PACKAGE_ROOT, 'data', 'compliance', 'components.yaml')
const BUILT_IN_FINES_FILE = join(PACKAGE_ROOT, 'data', 'compliance', 'fine-ceilings.yaml')

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
  'aiActQmsSetupCost',
  'aiActQmsCostPerYear',
  'doraRegisterHoursPerProviderYear',
  'doraContractHoursNewProvider',
  'doraExitPlanHoursPerProviderYear',
  'doraTlptCost',
  'doraTlptIntervalYears',
  'nis2CostPerYear',
] as const
export type ComplianceParameterName = (typeof COMPLIANCE_PARAMETERS)[number]

/** Components an option's `compliance:` list may name (the others come from its own drivers or are the gate). */
const COSTED_COMPONENTS: readonly ComplianceComponentId[] = ['C1', 'C2', 'C3', 'C4', 'C5', 'C6', 'C7', 'C8', 'C10', 'C12']

/** The components the company's own facts bring (AI Act, DORA, NIS2): the same for every option. */
const ENTITY_COMPONENTS = ['C15', 'C16', 'C17'] as const
export type EntityComponentId = (typeof ENTITY_COMPONENTS)[number]
/** Every component an option's cash flows can carry. */
export type AppliedComponentId = ComplianceComponentId | EntityComponentId

export interface ComplianceData {
  components: ComplianceComponentsFile
  fines: FineCeilingsFile
  componentsFile: string
  finesFile: string
  /** Counts taken from an inventory (compliance.inventory), which replace the parameters' defaults. */
  estate?: EstateFacts
}

export function loadComplianceData(files: { componentsFile?: string; finesFile?: string } = {}): ComplianceData {
  const componentsFile = files.componentsFile ?? BUILT_IN_COMPONENTS_FILE
  const finesFile = files.finesFile ?? BUILT_IN_FINES_FILE
  const components = loadYamlFile(componentsFile, complianceComponentsFileSchema)
  for (const name of COMPLIANCE_PARAMETERS) {
    if (components.parameters[name] === undefined)
      throw new UserError(`${componentsFile}: parameters.${name}: is required (the compliance-tax formulas use it)`)
  }
  const ids = new Set(components.components.map((component) => component.id))
  for (let n = 1; n <= 17; n++) {
    if (!ids.has(`C${n}` as (typeof components.components)[number]['id']))
      throw new UserError(`${componentsFile}: components: C${n} is missing (C1–C17 are all required)`)
  }
  return { components, fines: loadYamlFile(finesFile, fineCeilingsFileSchema), componentsFile, finesFile }
}

/** EU-27 and the EEA (Iceland, Liechtenstein, Norway), and `EU` for an EU-wide entity. */
const EU_EEA_COUNTRIES: ReadonlySet<string> = new Set([...EU_MEMBER_STATES, 'IS', 'LI', 'NO', 'EU'])

/** A provider whose ultimate parent sits outside the EU/EEA (reach of e.g. the US CLOUD Act). */
function isNonEuParent(parentCountry: string): boolean {
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
  scope?: EntityScope,
): Set<AppliedComponentId> {
  const entity: AppliedComponentId[] =
    scope === undefined
      ? []
      : [...(scope.aiActHighRisk ? ['C15' as const] : []), ...(scope.dora ? ['C16' as const] : []), ...(scope.nis2 !== null ? ['C17' as const] : [])]
  if (option.compliance) return new Set([...option.compliance, ...entity])
  const applies = new Set<AppliedComponentId>(entity)
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
export function fineCap(
  fine: Pick<FineCeiling, 'fixedAmount' | 'shareOfTurnover' | 'smeRule'>,
  turnover: number,
  sme: boolean,
  fixedAmountInModelCurrency = fine.fixedAmount,
): number {
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
  const failing = carried
    .filter((dataClass) => sealRank(optionSeal) < sealRank(dataClass.requiredSeal))
    .map((dataClass) => `${dataClass.name} (${dataClass.requiredSeal})`)
  return {
    feasible: false,
    reason: `C11 sovereignty gate: ${optionSeal} is below the level required by data class${failing.length > 1 ? 'es' : ''} ${failing.join(', ')}`,
    requiredSeal: strictest.requiredSeal,
  }
}

// ---------------------------------------------------------------------------------------------
// The company's facts and its estate: which regulations apply, and the counts they are costed by.

/**
 * What the compliance tax counts in an inventory (geopat plan's file), workload by workload:
 * - AI Act high-risk systems (C15): workloads with aiActRisk `high` that are not being retired;
 * - transfer flows (C1): workloads, not retired, whose data includes a class other than `public`
 *   and whose current provider has a non-EU/EEA parent: one transfer impact assessment each
 *   (EDPB Rec. 01/2020; a flow to a US-parent provider stays exposed to the CLOUD Act in an EU region);
 * - DPIA use cases (C2): workloads, not retired, that process personal data (a data class named
 *   `personal…` or `special-category…`, GDPR Arts. 9 and 35).
 */
export interface EstateFacts {
  file: string
  highRiskSystems: string[]
  transferFlows: string[]
  useCases: string[]
}

export function estateFacts(inventory: Inventory, file: string): EstateFacts {
  const live = inventory.workloads.filter((workload) => !workload.retire)
  const personal = (name: string): boolean => name.startsWith('personal') || name.startsWith('special-category')
  return {
    file,
    highRiskSystems: live.filter((workload) => workload.aiActRisk === 'high').map((workload) => workload.name),
    transferFlows: live
      .filter((workload) => isNonEuParent(workload.current.jurisdiction.parent) && workload.dataClasses.some((name) => name !== 'public'))
      .map((workload) => workload.name),
    useCases: live.filter((workload) => workload.dataClasses.some(personal)).map((workload) => workload.name),
  }
}

/** The parameters an inventory supplies, with the workloads each count names. */
export function estateParameter(facts: EstateFacts, name: ComplianceParameterName): { value: number; origin: string } | undefined {
  const list =
    name === 'highRiskSystems' ? facts.highRiskSystems : name === 'transferFlows' ? facts.transferFlows : name === 'useCases' ? facts.useCases : undefined
  if (list === undefined) return undefined
  return { value: list.length, origin: `inventory ${facts.file}: ${list.length} workload(s)${list.length > 0 ? ` (${list.join(', ')})` : ''}` }
}

/**
 * NIS2 size thresholds in EUR (Directive (EU) 2022/2555 Art. 2(1) and 3(1)(a), by reference to
 * Commission Recommendation 2003/361/EC): medium from 50 staff or EUR 10M turnover, large from 250
 * staff or EUR 50M turnover. Legal thresholds, not estimates.
 */
const NIS2_SIZE = { mediumEmployees: 50, mediumTurnoverEur: 10e6, largeEmployees: 250, largeTurnoverEur: 50e6 } as const

export interface EntityScope {
  /** C15: the estate holds AI Act high-risk systems. */
  aiActHighRisk: boolean
  /** C16: DORA applies (a financial entity under its Art. 2(1)). */
  dora: boolean
  tlpt: boolean
  /** C17: the company's NIS2 category, null when out of scope. */
  nis2: 'essential' | 'important' | null
  /** One line per regulation: why it applies or not. */
  reasons: string[]
}

/**
 * Which of the company's own regulations apply. `turnoverEur` is the central annual turnover in EUR.
 * NIS2 does not apply where DORA does: DORA is the sector-specific act for financial entities
 * (NIS2 Art. 4; DORA recital 16).
 */
export function entityScope(
  company: { financialEntity?: string | undefined; doraTlpt?: boolean; nis2Annex?: 'I' | 'II' | 'none'; employees?: number | undefined } | undefined,
  turnoverEur: number | undefined,
  highRiskSystems: number,
): EntityScope {
  const reasons: string[] = []
  const aiActHighRisk = highRiskSystems > 0
  reasons.push(
    aiActHighRisk
      ? `AI Act: ${highRiskSystems} high-risk system(s) (Annex III): C15 applies to every option`
      : 'AI Act: no high-risk system counted: C15 not costed',
  )
  const dora = company?.financialEntity !== undefined
  const tlpt = dora && company?.doraTlpt === true
  reasons.push(
    dora
      ? `DORA: a financial entity (${company?.financialEntity}, Regulation (EU) 2022/2554 Art. 2(1)): C16 applies${tlpt ? ', with TLPT (Art. 26)' : ''}`
      : 'DORA: not a financial entity (company.financialEntity not set): C16 not costed',
  )
  let nis2: EntityScope['nis2'] = null
  const annex = company?.nis2Annex ?? 'none'
  if (dora) reasons.push('NIS2: not costed: DORA applies instead to a financial entity (NIS2 Art. 4, sector-specific act)')
  else if (annex === 'none') reasons.push('NIS2: sector in neither Annex I nor II (company.nis2Annex): C17 not costed')
  else {
    const employees = company?.employees
    const turnover = turnoverEur ?? 0
    const large = (employees !== undefined && employees >= NIS2_SIZE.largeEmployees) || turnover > NIS2_SIZE.largeTurnoverEur
    const medium = large || (employees !== undefined && employees >= NIS2_SIZE.mediumEmployees) || turnover > NIS2_SIZE.mediumTurnoverEur
    if (!medium) reasons.push('NIS2: below the medium-size threshold (50 staff, EUR 10M turnover): C17 not costed')
    else {
      nis2 = annex === 'I' && large ? 'essential' : 'important'
      reasons.push(`NIS2: ${nis2} entity (Annex ${annex}, ${large ? 'large' : 'medium'}): C17 applies`)
    }
  }
  return { aiActHighRisk, dora, tlpt, nis2, reasons }
}
