import type { TcoResult } from '../../io/schema/tco-result.js'

/**
 * The lines `geopat tco` prints under its table: the compliance scope, and each option's NPV cost
 * split into billed cash and the cost of risk (expected losses: inside the NPV cost, never billed).
 */
export function formatComplianceLines(result: TcoResult, money: (value: number) => string): string[] {
  const lines: string[] = []
  const scope = result.compliance.scope
  if (scope && scope.length > 0) lines.push(`compliance scope: ${scope.join('; ')}`)
  const split = result.options.flatMap((option) => {
    const basis = option.deterministic?.byBasis
    return basis
      ? [
          `${option.id} ${money(basis.npvBilled)} billed + ${money(basis.npvCostOfRisk)} ` +
            `risk${basis.npvValuation !== 0 ? ` ${basis.npvValuation < 0 ? '−' : '+'} ${money(Math.abs(basis.npvValuation))} credits` : ''}`,
        ]
      : []
  })
  // Valuations are credits nobody invoices: the residual value at the horizon, and with the finance mechanics resale proceeds and the tax shield.
  const credits = result.options.some((option) => (option.deterministic?.byBasis?.npvValuation ?? 0) !== 0)
    ? ' − credits (residual value, resale proceeds, tax shield: valuations, never billed)'
    : ''
  if (split.length > 0)
    lines.push(`NPV cost = billed cash (focus.csv) + cost of risk (expected losses, never billed: risk-estimates.csv)${credits}: ${split.join('; ')}`)
  return lines
}
