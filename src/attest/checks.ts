import type { CheckName, EvidenceKind } from '../io/schema/attestation.js'
import type { Check, VerificationResult } from './evidence-types.js'

/** A check that ran and passed. */
export const passed = (evidence: EvidenceKind, name: CheckName, detail: string): Check => ({ evidence, name, ok: true, detail })

/** A check that ran and failed: the evidence contradicts what was expected. */
export const failed = (evidence: EvidenceKind, name: CheckName, detail: string): Check => ({ evidence, name, ok: false, detail })

/** A check that could not run (no trust anchor or allow-list supplied): not ok, but not contradicted. */
export const skipped = (evidence: EvidenceKind, name: CheckName, detail: string): Check => ({ evidence, name, ok: false, detail, skipped: true })

/** One line naming the check: `snp certificate-chain: the ASK is not signed by the ARK`. */
export const describeCheck = (check: Check): string => `${check.evidence} ${check.name}: ${check.detail}`

/**
 * Why a set of checks does not verify, naming the check: the first one that failed, else the first
 * one that was skipped; null when every check passed.
 */
export function reasonOf(checks: readonly Check[]): string | null {
  const failure = checks.find((check) => !check.ok && !check.skipped) ?? checks.find((check) => !check.ok)
  return failure ? describeCheck(failure) : null
}

export function resultOf(
  evidence: EvidenceKind,
  checks: Check[],
  found: { claims: Record<string, unknown>; measurements: string[]; keyFingerprint: string | null },
): VerificationResult {
  return {
    evidence,
    ok: checks.length > 0 && checks.every((check) => check.ok),
    checks,
    reason: checks.length > 0 ? reasonOf(checks) : `${evidence}: no checks ran`,
    claims: found.claims,
    measurements: found.measurements,
    keyFingerprint: found.keyFingerprint,
  }
}

/**
 * The evidence as `parse` reads it, or, when it cannot (malformed evidence), the result that says
 * so: report-format failed with the parser's message, nothing else checked.
 */
export function parseOrReject<T>(evidence: EvidenceKind, parse: () => T): { parsed: T } | { rejected: VerificationResult } {
  try {
    return { parsed: parse() }
  } catch (error) {
    return {
      rejected: resultOf(evidence, [failed(evidence, 'report-format', (error as Error).message)], { claims: {}, measurements: [], keyFingerprint: null }),
    }
  }
}
