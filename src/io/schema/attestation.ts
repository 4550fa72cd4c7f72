import { z } from 'zod'

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

/**
 * The verdict on an endpoint's evidence:
 * - verified: there is evidence and every check of every result passed;
 * - failed: some check ran and failed (the evidence contradicts what was expected);
 * - unverified: nothing failed, but some checks could not run (no trust anchor or allow-list);
 * - no-evidence: nothing to verify.
 */
export const VERDICTS = ['verified', 'failed', 'unverified', 'no-evidence'] as const
export type Verdict = (typeof VERDICTS)[number]

/**
 * How strongly an endpoint's confidentiality is known, weakest first:
 * - none: nothing says it is confidential;
 * - claimed: only the scenario says so (attest.claimed), or the evidence failed a check;
 * - evidence-recorded: evidence obtained for a fresh nonce was stored (with its hashes and
 *   claims), and nothing in it failed, but it was not fully verified (no trust anchor or no
 *   allowed measurements were supplied);
 * - verified: every check of every piece of evidence passed: signature, certificate chain to a
 *   trust anchor the user supplied, validity, nonce binding and measurements on the allow-list.
 */
export const ATTESTATION_LEVELS = ['none', 'claimed', 'evidence-recorded', 'verified'] as const
export type AttestationLevel = (typeof ATTESTATION_LEVELS)[number]

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 in lower-case hex')
const lowerHex = z.string().regex(/^[0-9a-f]*$/, 'must be lower-case hex')

const attestationCheckSchema = z
  .object({
    evidence: z.enum(EVIDENCE_KINDS),
    name: z.enum(CHECK_NAMES),
    ok: z.boolean(),
    detail: z.string(),
    /** Could not run (no trust anchor or allow-list supplied): not ok, but not contradicted either. */
    skipped: z.boolean().optional(),
  })
  .strict()
export type AttestationCheck = z.infer<typeof attestationCheckSchema>

/**
 * What geopat records about one endpoint's attestation at one moment (before or after a run):
 * where the evidence came from, the nonce it was asked for, how long that took, the SHA-256 of
 * every evidence blob, what the evidence claims, its measurements and signing key, every check
 * and the resulting level and verdict. The evidence blobs themselves are stored beside it.
 */
export const attestationRecordSchema = z
  .object({
    endpoint: z.string(),
    /** Before or after the run (absent for a single `geopat attest`). */
    phase: z.enum(['before', 'after']).optional(),
    level: z.enum(ATTESTATION_LEVELS),
    /** Why this level and not a higher one; names the failing check where there is one. */
    levelReason: z.string(),
    /** Where evidence was sought; null when the endpoint has no attest: block. */
    source: z.enum(['api', 'snpguest', 'nvattest', 'files']).nullable(),
    /** The nonce sent (hex); null when none was sent. */
    nonce: lowerHex.nullable(),
    /** When the evidence was obtained (ISO 8601). */
    fetchedAt: z.iso.datetime({ offset: true }).nullable(),
    /** The attestation round trip, ms (request → evidence in hand); null for files or no request. */
    roundTripMs: z.number().nonnegative().nullable(),
    /** SHA-256 of each evidence blob, by name (snpReport, vcekCert, nvidiaToken, tdxQuote, …). */
    evidenceHashes: z.record(z.string(), sha256Hex),
    /** What the evidence claims, by kind of evidence (snp, nvidia, tdx). */
    claims: z.record(z.string(), z.unknown()),
    /** Launch measurements, lower-case hex (SNP MEASUREMENT; TDX MRTD, RTMR0–3). */
    measurements: z.array(lowerHex),
    /**
     * SHA-256 of the key that signed each kind of evidence (SNP: the VCEK's public key; NVIDIA: the
     * JWK thumbprint; TDX: the quote's attestation key). A change between before and after = swapped.
     */
    keyFingerprints: z.partialRecord(z.enum(EVIDENCE_KINDS), sha256Hex),
    checks: z.array(attestationCheckSchema),
    verdict: z.enum(VERDICTS),
    /** Plain-language notes: why nothing (or less) was obtained. */
    notes: z.array(z.string()).default([]),
  })
  .strict()
export type AttestationRecord = z.infer<typeof attestationRecordSchema>

/**
 * Attestation around one run (summary.json, compare-summary.json): every record taken before and
 * after, and per endpoint the level it holds for the whole run (the lower of the two) and whether
 * the machine answering changed in between.
 */
export const attestationRunSchema = z
  .object({
    records: z.array(attestationRecordSchema),
    endpoints: z.array(
      z
        .object({
          endpoint: z.string(),
          level: z.enum(ATTESTATION_LEVELS),
          verdict: z.enum(VERDICTS),
          /** A measurement or signing key changed between before and after: the run is marked. */
          swapped: z.boolean(),
          swapReason: z.string().nullable(),
          /** The attestation round trips before and after, ms. */
          roundTripMs: z.array(z.number()),
        })
        .strict(),
    ),
  })
  .strict()
export type AttestationRun = z.infer<typeof attestationRunSchema>
