import type { AttestationRecord, EvidenceKind } from '../io/schema/attestation.js'
import type { VerificationResult } from './evidence-types.js'
import { assessLevel } from './levels.js'
import { verdictOf } from './verify.js'

export interface AttestationRecordInputs {
  endpoint: string
  phase?: 'before' | 'after'
  /** Where evidence was sought; null when the endpoint has no attest: block. */
  source: AttestationRecord['source']
  nonce: string | null
  fetchedAt: string | null
  roundTripMs: number | null
  /** SHA-256 of each evidence blob stored (CollectedEvidence.hashes). */
  evidenceHashes: Record<string, string>
  notes: string[]
  /** The scenario says the endpoint is confidential (attest.claimed). */
  claimed: boolean
  /** geopat generated the nonce for this request. */
  nonceFresh: boolean
  /** What verifyEvidence returned. */
  results: readonly VerificationResult[]
}

/** One attestation record (src/io/schema/attestation.ts) from the evidence and its verification. */
export function buildAttestationRecord(inputs: AttestationRecordInputs): AttestationRecord {
  const { level, reason } = assessLevel(inputs)
  const claims: Record<string, unknown> = {}
  const keyFingerprints: Partial<Record<EvidenceKind, string>> = {}
  for (const result of inputs.results) {
    claims[result.evidence] = result.claims
    if (result.keyFingerprint) keyFingerprints[result.evidence] = result.keyFingerprint
  }
  return {
    endpoint: inputs.endpoint,
    ...(inputs.phase ? { phase: inputs.phase } : {}),
    level,
    levelReason: reason,
    source: inputs.source,
    nonce: inputs.nonce === null ? null : inputs.nonce.toLowerCase(),
    fetchedAt: inputs.fetchedAt,
    roundTripMs: inputs.roundTripMs,
    evidenceHashes: inputs.evidenceHashes,
    claims,
    measurements: inputs.results.flatMap((result) => result.measurements),
    keyFingerprints,
    checks: inputs.results.flatMap((result) => result.checks),
    verdict: verdictOf(inputs.results),
    notes: inputs.notes,
  }
}
