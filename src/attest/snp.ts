import { X509Certificate, createHash, verify as verifySignature, type KeyObject } from 'node:crypto'
import { failed, parseOrReject, passed, resultOf, skipped } from './checks.js'
import { readCertificateDetails, readSmallInteger } from './der.js'
import type { Check, VerificationResult } from './evidence-types.js'
import { checkMeasurementAllowList, normalizeHex } from './measurements.js'
import { type NonceBinding, checkReportDataBinding } from './nonce-binding.js'
import {
  P384_BYTES,
  POLICY_DEBUG,
  SIGNATURE_COMPONENT_BYTES,
  SNP_REPORT_BYTES,
  SNP_SIGNATURE_ALGO_ECDSA_P384_SHA384,
  SNP_SIGNED_BYTES,
  type SnpReport,
  decodeSnpTcb,
  parseSnpReport,
  reversed,
  snpClaims,
} from './snp-report.js'

/**
 * Offline verification of AMD SEV-SNP attestation reports (the report's layout is in snp-report.ts):
 * the signature by the VCEK, its chain to AMD's ARK through the ASK (RSA-PSS, SHA-384), the trust
 * anchor, the TCB binding, the guest policy and the measurement.
 */

/** SHA-256 (hex) of a certificate's DER: how a trust anchor is pinned. */
const certificateFingerprint = (certificate: X509Certificate): string => createHash('sha256').update(certificate.raw).digest('hex')

/** SHA-256 (hex) of a public key's SubjectPublicKeyInfo DER. */
const publicKeyFingerprint = (key: KeyObject): string =>
  createHash('sha256')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest('hex')

/** Splits PEM text into its certificates (AMD's cert_chain file holds the ASK then the ARK). */
export function splitPemCertificates(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []
}

export interface SnpVerifyOptions {
  /** The nonce geopat sent (hex). */
  nonce: string
  /** How report_data binds the nonce; default `sha512` (see nonce-binding.ts). */
  nonceBinding?: NonceBinding
  rawNonceOffset?: number
  /** The VCEK certificate (PEM) that signed the report: from the evidence or a file. */
  vcekPem: string | null
  /** The ASK certificate (PEM): the user's (attest.trust.askCert) or AMD's cert_chain. */
  askPem: string | null
  /** The ARK the chain ends in, if the evidence brings its own (PEM); default: trustedArkPem. */
  arkPem?: string | null
  /** The trust anchor: the ARK certificate the user supplies (attest.trust.arkCert). */
  trustedArkPem: string | null
  /** Launch measurements allowed (hex); empty: not pinned, so never `verified`. */
  allowedMeasurements: readonly string[]
  /** When certificates must be valid; default now. */
  now?: Date
}

/** AMD's VCEK extensions (VCEK specification): the TCB the key was derived for, and the chip's ID. */
const VCEK_EXTENSIONS = {
  bootLoader: '1.3.6.1.4.1.3704.1.3.1',
  tee: '1.3.6.1.4.1.3704.1.3.2',
  snp: '1.3.6.1.4.1.3704.1.3.3',
  microcode: '1.3.6.1.4.1.3704.1.3.8',
  fmc: '1.3.6.1.4.1.3704.1.3.9',
  hwId: '1.3.6.1.4.1.3704.1.4',
} as const
const RSASSA_PSS = '1.2.840.113549.1.1.10'
const SHA384 = '2.16.840.1.101.3.4.2.2'

function readCertificate(pem: string | null | undefined, label: string): { certificate: X509Certificate | null; problem: string | null } {
  if (!pem) return { certificate: null, problem: null }
  try {
    return { certificate: new X509Certificate(pem), problem: null }
  } catch {
    return { certificate: null, problem: `the ${label} is not a readable X.509 certificate` }
  }
}

/** The signature algorithm must be RSASSA-PSS with SHA-384, as AMD signs the ASK and VCEK. */
function rsaPssSha384Problem(certificate: X509Certificate, label: string): string | null {
  try {
    const details = readCertificateDetails(certificate.raw)
    if (details.signatureAlgorithm !== RSASSA_PSS) return `the ${label} is not signed with RSASSA-PSS (algorithm ${details.signatureAlgorithm})`
    if (!details.signatureParameterOids.includes(SHA384)) return `the ${label}'s RSASSA-PSS signature does not use SHA-384`
    return null
  } catch (error) {
    return `the ${label} cannot be read (${(error as Error).message})`
  }
}

function chainCheck(ark: X509Certificate, ask: X509Certificate, vcek: X509Certificate): Check {
  if (!ark.checkIssued(ark) || !ark.verify(ark.publicKey))
    return failed('snp', 'certificate-chain', `the ARK (${ark.subject.replace(/\n/g, ', ')}) is not self-signed`)
  if (!ask.checkIssued(ark) || !ask.verify(ark.publicKey)) return failed('snp', 'certificate-chain', 'the ASK is not signed by the ARK')
  if (!vcek.checkIssued(ask) || !vcek.verify(ask.publicKey)) return failed('snp', 'certificate-chain', 'the VCEK is not signed by the ASK')
  const problem = rsaPssSha384Problem(ask, 'ASK') ?? rsaPssSha384Problem(vcek, 'VCEK') ?? rsaPssSha384Problem(ark, 'ARK')
  if (problem) return failed('snp', 'certificate-chain', problem)
  return passed('snp', 'certificate-chain', 'ARK (self-signed) → ASK → VCEK, RSA-PSS SHA-384')
}

function validityCheck(certificates: Array<[string, X509Certificate]>, now: Date): Check {
  for (const [label, certificate] of certificates) {
    const from = new Date(certificate.validFrom)
    const to = new Date(certificate.validTo)
    if (now < from) return failed('snp', 'validity', `the ${label} is not valid before ${from.toISOString()} (checked at ${now.toISOString()})`)
    if (now > to) return failed('snp', 'validity', `the ${label} expired ${to.toISOString()} (checked at ${now.toISOString()})`)
  }
  return passed('snp', 'validity', `${certificates.map(([label]) => label).join(', ')} valid at ${now.toISOString()}`)
}

/** Compares the VCEK's TCB and hwID extensions, where present, with the report's REPORTED_TCB and CHIP_ID. */
function tcbBindingCheck(vcek: X509Certificate, report: SnpReport): Check {
  let extensions: Map<string, Buffer>
  try {
    extensions = readCertificateDetails(vcek.raw).extensions
  } catch (error) {
    return failed('snp', 'tcb-binding', `the VCEK's extensions cannot be read (${(error as Error).message})`)
  }
  const tcb = decodeSnpTcb(report.reportedTcb, report.cpuidFamId)
  const compared: string[] = []
  for (const field of ['bootLoader', 'tee', 'snp', 'microcode', 'fmc'] as const) {
    const value = extensions.get(VCEK_EXTENSIONS[field])
    if (!value) continue
    const certified = readSmallInteger(value)
    if (certified === null) return failed('snp', 'tcb-binding', `the VCEK's ${field} SPL extension is not an INTEGER`)
    if (certified !== tcb[field])
      return failed('snp', 'tcb-binding', `the VCEK was issued for ${field} SPL ${certified}, the report says ${String(tcb[field])}`)
    compared.push(field)
  }
  const hwId = extensions.get(VCEK_EXTENSIONS.hwId)
  const chipIdMasked = report.chipId.every((byte) => byte === 0)
  if (hwId && !chipIdMasked) {
    // Older VCEKs hold the 64 bytes as they are; newer ones as a DER OCTET STRING.
    const certified = hwId.length === 66 && hwId[0] === 0x04 && hwId[1] === 0x40 ? hwId.subarray(2) : hwId
    if (!certified.equals(report.chipId)) return failed('snp', 'tcb-binding', 'the VCEK was issued for another chip (hwID ≠ CHIP_ID)')
    compared.push('chip ID')
  }
  if (compared.length === 0) return passed('snp', 'tcb-binding', 'the VCEK carries no TCB or hwID extension to compare (a VLEK, or CHIP_ID masked)')
  return passed('snp', 'tcb-binding', `the VCEK matches the report's ${compared.join(', ')}`)
}

function signatureCheck(report: Buffer, parsed: SnpReport, vcek: X509Certificate): Check {
  const key = vcek.publicKey
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'secp384r1') {
    return failed(
      'snp',
      'signature',
      `the VCEK's key is not EC P-384 (${key.asymmetricKeyType ?? 'unknown'} ${key.asymmetricKeyDetails?.namedCurve ?? ''})`.trim(),
    )
  }
  const r = reversed(parsed.signatureR)
  const s = reversed(parsed.signatureS)
  const padding = SIGNATURE_COMPONENT_BYTES - P384_BYTES
  if (!r.subarray(0, padding).every((byte) => byte === 0) || !s.subarray(0, padding).every((byte) => byte === 0)) {
    return failed('snp', 'signature', 'r or s is longer than 48 bytes')
  }
  const signature = Buffer.concat([r.subarray(padding), s.subarray(padding)])
  const ok = verifySignature('sha384', report.subarray(0, SNP_SIGNED_BYTES), { key, dsaEncoding: 'ieee-p1363' }, signature)
  return ok
    ? passed('snp', 'signature', 'ECDSA P-384/SHA-384 over bytes 0x000–0x29F verifies with the VCEK')
    : failed('snp', 'signature', 'the report signature does not verify with the VCEK')
}

type ReadCertificate = ReturnType<typeof readCertificate>

/** The VCEK → ASK → ARK chain, checked when all three were supplied and read. */
function certificateChainCheck(vcek: ReadCertificate, ask: ReadCertificate, ark: ReadCertificate): Check {
  const problem = vcek.problem ?? ask.problem ?? ark.problem
  if (problem) return failed('snp', 'certificate-chain', problem)
  if (!vcek.certificate || !ask.certificate || !ark.certificate) {
    const missing = [!vcek.certificate && 'VCEK', !ask.certificate && 'ASK (attest.trust.askCert)', !ark.certificate && 'ARK (attest.trust.arkCert)'].filter(
      Boolean,
    )
    return skipped('snp', 'certificate-chain', `not checked: no ${missing.join(', ')}`)
  }
  return chainCheck(ark.certificate, ask.certificate, vcek.certificate)
}

/** The chain's ARK is the trusted one (same SHA-256 of its DER). */
function trustAnchorCheck(trusted: ReadCertificate, ark: ReadCertificate): Check {
  if (trusted.problem) return failed('snp', 'trust-anchor', trusted.problem)
  if (!trusted.certificate) return skipped('snp', 'trust-anchor', 'no trusted ARK supplied (attest.trust.arkCert)')
  if (!ark.certificate) return failed('snp', 'trust-anchor', 'the chain has no ARK')
  const expected = certificateFingerprint(trusted.certificate)
  const actual = certificateFingerprint(ark.certificate)
  return expected === actual
    ? passed('snp', 'trust-anchor', `the chain ends in the trusted ARK (sha256 ${expected})`)
    : failed('snp', 'trust-anchor', `the chain's ARK (sha256 ${actual}) is not the trusted ARK (sha256 ${expected})`)
}

/**
 * Verifies an SEV-SNP report offline. Every check runs that can (so a failure lists all problems):
 * report-format, nonce-binding, signature, certificate-chain, validity, trust-anchor, tcb-binding,
 * debug-disabled, measurement-allow-list. Without a VCEK, ASK or trusted ARK the checks that need
 * them are skipped, and the result is not ok.
 */
export function verifySnpReport(report: Buffer, options: SnpVerifyOptions): VerificationResult {
  const now = options.now ?? new Date()
  const read = parseOrReject('snp', () => parseSnpReport(report))
  if ('rejected' in read) return read.rejected
  const parsed = read.parsed
  const checks: Check[] = []
  checks.push(
    parsed.signatureAlgo === SNP_SIGNATURE_ALGO_ECDSA_P384_SHA384
      ? passed('snp', 'report-format', `SEV-SNP report version ${parsed.version}, ${SNP_REPORT_BYTES} bytes, ECDSA P-384/SHA-384`)
      : failed('snp', 'report-format', `SIGNATURE_ALGO is ${parsed.signatureAlgo}, not 1 (ECDSA P-384/SHA-384)`),
  )
  checks.push(checkReportDataBinding('snp', parsed.reportData, options.nonce, options.nonceBinding, options.rawNonceOffset))

  const vcek = readCertificate(options.vcekPem, 'VCEK')
  const ask = readCertificate(options.askPem, 'ASK')
  const trusted = readCertificate(options.trustedArkPem, 'trusted ARK')
  const ark = options.arkPem ? readCertificate(options.arkPem, 'ARK') : trusted

  if (vcek.certificate) checks.push(signatureCheck(report, parsed, vcek.certificate))
  else checks.push(vcek.problem ? failed('snp', 'signature', vcek.problem) : skipped('snp', 'signature', 'no VCEK certificate to check the signature with'))

  checks.push(certificateChainCheck(vcek, ask, ark))

  const present: Array<[string, X509Certificate]> = []
  for (const [label, certificate] of [
    ['VCEK', vcek.certificate],
    ['ASK', ask.certificate],
    ['ARK', ark.certificate],
  ] as const) {
    if (certificate) present.push([label, certificate])
  }
  checks.push(present.length > 0 ? validityCheck(present, now) : skipped('snp', 'validity', 'no certificates to check'))

  checks.push(trustAnchorCheck(trusted, ark))

  checks.push(vcek.certificate ? tcbBindingCheck(vcek.certificate, parsed) : skipped('snp', 'tcb-binding', 'no VCEK certificate'))
  checks.push(
    (parsed.policy & POLICY_DEBUG) === 0n
      ? passed('snp', 'debug-disabled', `guest policy 0x${parsed.policy.toString(16)} forbids debugging`)
      : failed('snp', 'debug-disabled', `guest policy 0x${parsed.policy.toString(16)} allows the host to debug the guest`),
  )
  const measurement = parsed.measurement.toString('hex')
  checks.push(checkMeasurementAllowList('snp', 'MEASUREMENT', measurement, options.allowedMeasurements))

  return resultOf('snp', checks, {
    claims: snpClaims(parsed),
    measurements: [normalizeHex(measurement)],
    keyFingerprint: vcek.certificate ? publicKeyFingerprint(vcek.certificate.publicKey) : null,
  })
}
