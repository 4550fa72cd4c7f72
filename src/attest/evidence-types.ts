/**
 * The shapes every offline verifier in src/attest returns, whatever the evidence (AMD SEV-SNP
 * report, NVIDIA attestation token, Intel TDX quote): a list of named checks, the claims read from
 * the evidence, its measurements and the fingerprint of the key that signed it.
 */

/** The kinds of evidence geopat can verify offline. */
export const EVIDENCE_KINDS = ['snp', 'nvidia', 'tdx'] as const
export type EvidenceKind = (typeof EVIDENCE_KINDS)[number]

/**
 * Every check a verifier can run. A failing check's reason starts with its name, so a summary line
 * says which one failed (`snp certificate-chain: the ASK is not signed by the ARK`).
 * - report-format: the evidence parses (size, version, algorithm, TEE type).
 * - nonce-binding: the evidence carries the nonce geopat sent (report_data, `eat_nonce`).
 * - signature: the evidence is signed by the key the certificates or the JWKS name.
 * - certificate-chain: ARK → ASK → VCEK (SNP) or Intel's PCK chain (TDX) verify.
 * - validity: certificates, token or collateral are within their dates at the verification time.
 * - trust-anchor: the chain ends in an anchor the user supplied (ARK, JWKS, collateral).
 * - tcb-binding: the VCEK's TCB and chip-ID extensions match the report (SNP).
 * - debug-disabled: the guest cannot be debugged by the host (SNP policy, TDX attributes).
 * - tcb-status: the platform's TCB level per Intel's collateral (TDX).
 * - overall-result: NVIDIA's `x-nvidia-overall-att-result` is true.
 * - measurement-allow-list: the launch measurement is one the scenario allows.
 * - claims-allow-list: token claims have the values the scenario expects (NVIDIA).
 */
export const CHECK_NAMES = [
  'report-format',
  'nonce-binding',
  'signature',
  'certificate-chain',
  'validity',
  'trust-anchor',
  'tcb-binding',
  'debug-disabled',
  'tcb-status',
  'overall-result',
  'measurement-allow-list',
  'claims-allow-list',
] as const
export type CheckName = (typeof CHECK_NAMES)[number]

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

/**
 * The verdict on an endpoint's evidence:
 * - verified: there is evidence and every check of every result passed;
 * - failed: some check ran and failed (the evidence contradicts what was expected);
 * - unverified: nothing failed, but some checks could not run (no trust anchor or allow-list);
 * - no-evidence: nothing to verify.
 */
export const VERDICTS = ['verified', 'failed', 'unverified', 'no-evidence'] as const
export type Verdict = (typeof VERDICTS)[number]
