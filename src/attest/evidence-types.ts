/**
 * The shapes every offline verifier in src/attest returns, whatever the evidence (AMD SEV-SNP
 * report, NVIDIA attestation token, Intel TDX quote): a list of named checks, the claims read from
 * the evidence, its measurements and the fingerprint of the key that signed it.
 */
import type { CheckName, EvidenceKind } from '../io/schema/attestation.js'

export interface Check {
  evidence: EvidenceKind
  name: CheckName
  ok: boolean
  /** What was compared, or why it failed, in one line. */
  detail: string
  /**
   * The check could not run because trust material or an allow-list was not supplied (ok is then
   * false): the evidence is unverified rather than contradicted.
   */
  skipped?: boolean
}

export interface VerificationResult {
  evidence: EvidenceKind
  /** Every check ran and passed (none skipped). */
  ok: boolean
  checks: Check[]
  /** The first failing check, named: `snp signature: …`; null when ok. */
  reason: string | null
  /** What the evidence says (JSON-safe: strings, numbers, booleans, arrays, objects). */
  claims: Record<string, unknown>
  /**
   * Launch measurements, lower-case hex: SNP [MEASUREMENT]; TDX [MRTD, RTMR0, RTMR1, RTMR2, RTMR3];
   * NVIDIA: none (NRAS compares the GPU's measurements with NVIDIA's reference values itself).
   */
  measurements: string[]
  /**
   * SHA-256 (hex) of the key that signed the evidence: SNP the VCEK's SubjectPublicKeyInfo (DER);
   * NVIDIA the signing JWK's RFC 7638 thumbprint; TDX the quote's attestation key. A different
   * value before and after a run means another machine (or key) answered. Null if unknown.
   */
  keyFingerprint: string | null
}

/** Evidence blobs as collected (the fields of CollectedEvidence in collect.ts that verification reads). */
export interface EvidenceToVerify {
  /** The nonce geopat sent, hex. */
  nonce: string
  snpReport: Buffer | null
  /** The VCEK (PEM) that signed the SNP report. */
  vcekCert: string | null
  /** An NVIDIA attestation token: a compact JWT, or NRAS's EAT list `[["JWT", token], {GPU-0: token}]`. */
  nvidiaToken: string | null
  tdxQuote: Buffer | null
}
