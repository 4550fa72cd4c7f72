import { COMPLIANCE_PARAMETERS, type ComplianceData, estateParameter } from './compliance-tax.js'
import type { ModelPlan } from './model-plan.js'

/**
 * What tco.json says about the compliance tax beyond its components: which of the company's own
 * regulations apply and why (AI Act high-risk, DORA, NIS2), the workloads the inventory's counts
 * name, and where each figure of the compliance data comes from: a source (a regulation's text, a
 * study, the reference), the inventory, the model, or a plain assumption.
 */
export interface ComplianceSummary {
  scope: string[]
  estate: { file: string; highRiskSystems: string[]; transferFlows: string[]; useCases: string[] } | null
  figures: { total: number; sourced: number; fromInventory: number; fromModel: number; assumption: number; assumptions: string[] }
}

export function complianceSummary(
  plan: Pick<ModelPlan, 'scope'>,
  compliance: ComplianceData,
  modelParameters: Readonly<Record<string, unknown>>,
): ComplianceSummary {
  const figures = { total: 0, sourced: 0, fromInventory: 0, fromModel: 0, assumption: 0, assumptions: [] as string[] }
  for (const name of COMPLIANCE_PARAMETERS) {
    figures.total++
    const defaults = compliance.components.parameters[name]
    if (modelParameters[name] !== undefined) figures.fromModel++
    else if (compliance.estate !== undefined && estateParameter(compliance.estate, name) !== undefined) figures.fromInventory++
    else if (defaults?.confidence === 'assumption') {
      figures.assumption++
      figures.assumptions.push(name)
    } else figures.sourced++
  }
  for (const [name, date] of Object.entries(compliance.components.dates)) {
    figures.total++
    if (date.confidence === 'assumption') {
      figures.assumption++
      figures.assumptions.push(`dates.${name}`)
    } else figures.sourced++
  }
  const estate = compliance.estate
  return {
    scope: [...plan.scope.reasons],
    estate:
      estate === undefined
        ? null
        : { file: estate.file, highRiskSystems: [...estate.highRiskSystems], transferFlows: [...estate.transferFlows], useCases: [...estate.useCases] },
    figures,
  }
}
