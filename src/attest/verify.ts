import type { TcbStatus } from '@phala/dcap-qvl'
import { VERDICTS, type Verdict } from '../io/schema/attestation.js'
import type { EvidenceToVerify, VerificationResult } from './evidence-types.js'
import type { NonceBinding } from './nonce-binding.js'
import { verifyNvidiaToken } from './nvidia.js'
import { verifySnpReport } from './snp.js'
import { verifyTdxQuote } from './tdx.js'
import type { TrustMaterial } from './trust.js'

/**
 * Verifies whatever evidence was collected for one endpoint, offline, with the user's trust
 * material: one VerificationResult per kind of evidence present (SNP report, NVIDIA token, TDX
 * quote), none when there is no evidence.
 */

export interface VerifyEvidenceOptions {
  /** Launch measurements allowed (hex): SNP MEASUREMENT and TDX MRTD are compared with it. */
  allowedMeasurements: readonly string[]
  /** When certificates, tokens and collateral must be valid; default now. */
  now?: Date
  /** How report_data binds the nonce (SNP, TDX); default `sha512`, geopat's binding. */
  nonceBinding?: NonceBinding
  rawNonceOffset?: number
  /** NVIDIA token claims that must have one of the listed values. */
  nvidiaExpectedClaims?: Record<string, ReadonlyArray<string | number | boolean>>
  /** TDX TCB statuses accepted; default UpToDate and SWHardeningNeeded. */
  acceptedTdxTcbStatuses?: readonly TcbStatus[]
}

export async function verifyEvidence(evidence: EvidenceToVerify, trust: TrustMaterial, options: VerifyEvidenceOptions): Promise<VerificationResult[]> {
  const now = options.now ?? new Date()
  const binding = { nonce: evidence.nonce, nonceBinding: options.nonceBinding, rawNonceOffset: options.rawNonceOffset }
  const results: VerificationResult[] = []
  if (evidence.snpReport) {
    results.push(
      verifySnpReport(evidence.snpReport, {
        ...binding,
        vcekPem: evidence.vcekCert,
        askPem: trust.askPem,
        trustedArkPem: trust.arkPem,
        allowedMeasurements: options.allowedMeasurements,
        now,
      }),
    )
  }
  if (evidence.nvidiaToken) {
    results.push(
      await verifyNvidiaToken(evidence.nvidiaToken, { nonce: evidence.nonce, jwks: trust.nvidiaJwks, now, expectedClaims: options.nvidiaExpectedClaims }),
    )
  }
  if (evidence.tdxQuote) {
    results.push(
      verifyTdxQuote(evidence.tdxQuote, {
        ...binding,
        collateral: trust.tdxCollateral,
        rootCaDer: trust.tdxRootCaDer,
        allowedMeasurements: options.allowedMeasurements,
        acceptedTcbStatuses: options.acceptedTdxTcbStatuses,
        now,
      }),
    )
  }
  return results
}

export { VERDICTS, type Verdict }

/** The verdict on an endpoint's evidence (see VERDICTS in src/io/schema/attestation.ts). */
export function verdictOf(results: readonly VerificationResult[]): Verdict {
  if (results.length === 0) return 'no-evidence'
  const checks = results.flatMap((result) => result.checks)
  if (checks.some((check) => !check.ok && !check.skipped)) return 'failed'
  if (results.every((result) => result.ok)) return 'verified'
  return 'unverified'
}
