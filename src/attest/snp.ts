import { X509Certificate, createHash, createPrivateKey, sign as signData, verify as verifySignature, type KeyObject } from 'node:crypto'
import { failed, passed, resultOf, skipped } from './checks.js'
import { readCertificateDetails, readSmallInteger } from './der.js'
import type { Check, VerificationResult } from './evidence-types.js'
import { checkMeasurementAllowList, normalizeHex } from './measurements.js'
import { type NonceBinding, checkReportDataBinding } from './nonce-binding.js'

/**
 * AMD SEV-SNP attestation reports (AMD SEV-SNP ABI specification, ATTESTATION_REPORT structure):
 * 1,184 bytes, signed over bytes 0x000–0x29F with ECDSA P-384/SHA-384 by the VCEK (a key derived
 * from the chip and its TCB), whose certificate chains to AMD's ARK through the ASK (RSA-PSS,
 * SHA-384). Parsing, building and signing (for tests and `geopat sim`), and offline verification.
 */

export const SNP_REPORT_BYTES = 0x4a0
/** The report is signed over bytes [0, 0x2A0). */
export const SNP_SIGNED_BYTES = 0x2a0
const SIGNATURE_OFFSET = 0x2a0
/** r and s are each a 72-byte little-endian field (P-384 uses the low 48 bytes). */
const SIGNATURE_COMPONENT_BYTES = 72
const P384_BYTES = 48
/** SIGNATURE_ALGO 1: ECDSA P-384 with SHA-384, the only one AMD defines. */
export const SNP_SIGNATURE_ALGO_ECDSA_P384_SHA384 = 1
/** Guest policy bit 19: the host may debug the guest (its memory is then readable). */
const POLICY_DEBUG = 1n << 19n
/** Guest policy bit 17 is reserved and must be 1; bit 16 allows SMT. */
export const SNP_DEFAULT_POLICY = 0x30000n

/** Every field of the report (reserved areas are zero when built and ignored when parsed). */
export interface SnpReport {
  version: number
  guestSvn: number
  policy: bigint
  familyId: Buffer
  imageId: Buffer
  vmpl: number
  signatureAlgo: number
  currentTcb: bigint
  platformInfo: bigint
  /** 0x48: bit 0 AUTHOR_KEY_EN, bit 1 MASK_CHIP_KEY, bits 4:2 SIGNING_KEY (0 VCEK, 1 VLEK, 7 none). */
  keyInfo: number
  reportData: Buffer
  measurement: Buffer
  hostData: Buffer
  idKeyDigest: Buffer
  authorKeyDigest: Buffer
  reportId: Buffer
  reportIdMa: Buffer
  reportedTcb: bigint
  /** Report version 3 and later: the CPUID family, model and stepping (0 in older reports). */
  cpuidFamId: number
  cpuidModId: number
  cpuidStep: number
  chipId: Buffer
  committedTcb: bigint
  currentBuild: number
  currentMinor: number
  currentMajor: number
  committedBuild: number
  committedMinor: number
  committedMajor: number
  launchTcb: bigint
  /** r and s, each 72 bytes little-endian as in the report (zero when unsigned). */
  signatureR: Buffer
  signatureS: Buffer
}

interface ByteField {
  offset: number
  size: number
}
const BYTE_FIELDS = {
  familyId: { offset: 0x10, size: 16 },
  imageId: { offset: 0x20, size: 16 },
  reportData: { offset: 0x50, size: 64 },
  measurement: { offset: 0x90, size: 48 },
  hostData: { offset: 0xc0, size: 32 },
  idKeyDigest: { offset: 0xe0, size: 48 },
  authorKeyDigest: { offset: 0x110, size: 48 },
  reportId: { offset: 0x140, size: 32 },
  reportIdMa: { offset: 0x160, size: 32 },
  chipId: { offset: 0x1a0, size: 64 },
  signatureR: { offset: SIGNATURE_OFFSET, size: SIGNATURE_COMPONENT_BYTES },
  signatureS: { offset: SIGNATURE_OFFSET + SIGNATURE_COMPONENT_BYTES, size: SIGNATURE_COMPONENT_BYTES },
} as const satisfies Record<string, ByteField>
const U32_FIELDS = { version: 0x00, guestSvn: 0x04, vmpl: 0x30, signatureAlgo: 0x34, keyInfo: 0x48 } as const
const U64_FIELDS = { policy: 0x08, currentTcb: 0x38, platformInfo: 0x40, reportedTcb: 0x180, committedTcb: 0x1e0, launchTcb: 0x1f0 } as const
const U8_FIELDS = {
  cpuidFamId: 0x188,
  cpuidModId: 0x189,
  cpuidStep: 0x18a,
  currentBuild: 0x1e8,
  currentMinor: 0x1e9,
  currentMajor: 0x1ea,
  committedBuild: 0x1ec,
  committedMinor: 0x1ed,
  committedMajor: 0x1ee,
} as const

/** Parses a 1,184-byte SEV-SNP attestation report; throws an Error naming what is wrong. */
export function parseSnpReport(report: Buffer): SnpReport {
  if (report.length !== SNP_REPORT_BYTES) throw new Error(`an SEV-SNP report is ${SNP_REPORT_BYTES} bytes, got ${report.length}`)
  const bytes = (field: ByteField): Buffer => Buffer.from(report.subarray(field.offset, field.offset + field.size))
  const parsed: Record<string, unknown> = {}
  for (const [name, field] of Object.entries(BYTE_FIELDS)) parsed[name] = bytes(field)
  for (const [name, offset] of Object.entries(U32_FIELDS)) parsed[name] = report.readUInt32LE(offset)
  for (const [name, offset] of Object.entries(U64_FIELDS)) parsed[name] = report.readBigUInt64LE(offset)
  for (const [name, offset] of Object.entries(U8_FIELDS)) parsed[name] = report.readUInt8(offset)
  return parsed as unknown as SnpReport
}

/**
 * Builds a report from fields (the rest zero; version 2, ECDSA P-384, policy 0x30000 by default),
 * unsigned unless signatureR/signatureS are given. `buildSnpReport(parseSnpReport(r))` gives `r`
 * back for any report whose reserved bytes are zero.
 */
export function buildSnpReport(fields: Partial<SnpReport>): Buffer {
  const report = Buffer.alloc(SNP_REPORT_BYTES)
  const values: Partial<SnpReport> = { version: 2, signatureAlgo: SNP_SIGNATURE_ALGO_ECDSA_P384_SHA384, policy: SNP_DEFAULT_POLICY, ...fields }
  for (const [name, field] of Object.entries(BYTE_FIELDS)) {
    const value = values[name as keyof SnpReport] as Buffer | undefined
    if (value === undefined) continue
    if (value.length > field.size) throw new Error(`${name} is ${field.size} bytes at most, got ${value.length}`)
    value.copy(report, field.offset)
  }
  for (const [name, offset] of Object.entries(U32_FIELDS)) report.writeUInt32LE((values[name as keyof SnpReport] as number | undefined) ?? 0, offset)
  for (const [name, offset] of Object.entries(U64_FIELDS)) report.writeBigUInt64LE((values[name as keyof SnpReport] as bigint | undefined) ?? 0n, offset)
  for (const [name, offset] of Object.entries(U8_FIELDS)) report.writeUInt8((values[name as keyof SnpReport] as number | undefined) ?? 0, offset)
  return report
}

/** Little-endian (as in the report) ⇄ big-endian (as IEEE P1363 wants), in a copy. */
const reversed = (bytes: Buffer): Buffer => Buffer.from(bytes).reverse()

/**
 * Signs a report (the signature area is ignored and overwritten) with the VCEK's private key (EC
 * P-384, a KeyObject or PEM): ECDSA SHA-384 over bytes 0x000–0x29F, r and s written little-endian
 * into their 72-byte fields. Returns a new buffer.
 */
export function signSnpReport(reportWithoutSignature: Buffer, vcekPrivateKey: KeyObject | string): Buffer {
  if (reportWithoutSignature.length !== SNP_REPORT_BYTES) throw new Error(`an SEV-SNP report is ${SNP_REPORT_BYTES} bytes, got ${reportWithoutSignature.length}`)
  const key = typeof vcekPrivateKey === 'string' ? createPrivateKey(vcekPrivateKey) : vcekPrivateKey
  const signature = signData('sha384', reportWithoutSignature.subarray(0, SNP_SIGNED_BYTES), { key, dsaEncoding: 'ieee-p1363' })
  if (signature.length !== 2 * P384_BYTES) throw new Error('the VCEK key must be EC P-384')
  const signed = Buffer.from(reportWithoutSignature)
  signed.fill(0, SIGNATURE_OFFSET)
  reversed(signature.subarray(0, P384_BYTES)).copy(signed, SIGNATURE_OFFSET)
  reversed(signature.subarray(P384_BYTES)).copy(signed, SIGNATURE_OFFSET + SIGNATURE_COMPONENT_BYTES)
  return signed
}

/** A TCB_VERSION decoded. Turin (CPUID family 0x1A) adds an FMC field and moves the others. */
export interface SnpTcb {
  /** The 8 bytes as a number, hex (`0x…`). */
  raw: string
  fmc: number | null
  bootLoader: number
  tee: number
  snp: number
  microcode: number
}

export function decodeSnpTcb(value: bigint, cpuidFamId = 0): SnpTcb {
  const byte = (index: number): number => Number((value >> BigInt(8 * index)) & 0xffn)
  const raw = `0x${value.toString(16).padStart(16, '0')}`
  if (cpuidFamId === 0x1a) return { raw, fmc: byte(0), bootLoader: byte(1), tee: byte(2), snp: byte(3), microcode: byte(7) }
  return { raw, fmc: null, bootLoader: byte(0), tee: byte(1), snp: byte(6), microcode: byte(7) }
}

const SIGNING_KEYS: Record<number, string> = { 0: 'vcek', 1: 'vlek', 7: 'none' }

/** The report as JSON-safe claims (hex for bytes and 64-bit values). */
export function snpClaims(report: SnpReport): Record<string, unknown> {
  const hex = (bytes: Buffer): string => bytes.toString('hex')
  return {
    version: report.version,
    guestSvn: report.guestSvn,
    policy: `0x${report.policy.toString(16)}`,
    debugAllowed: (report.policy & POLICY_DEBUG) !== 0n,
    familyId: hex(report.familyId),
    imageId: hex(report.imageId),
    vmpl: report.vmpl,
    signatureAlgo: report.signatureAlgo,
    signingKey: SIGNING_KEYS[(report.keyInfo >> 2) & 0x7] ?? `reserved (${(report.keyInfo >> 2) & 0x7})`,
    currentTcb: decodeSnpTcb(report.currentTcb, report.cpuidFamId),
    reportedTcb: decodeSnpTcb(report.reportedTcb, report.cpuidFamId),
    committedTcb: decodeSnpTcb(report.committedTcb, report.cpuidFamId),
    launchTcb: decodeSnpTcb(report.launchTcb, report.cpuidFamId),
    platformInfo: `0x${report.platformInfo.toString(16)}`,
    reportData: hex(report.reportData),
    measurement: hex(report.measurement),
    hostData: hex(report.hostData),
    idKeyDigest: hex(report.idKeyDigest),
    authorKeyDigest: hex(report.authorKeyDigest),
    reportId: hex(report.reportId),
    chipId: hex(report.chipId),
    firmware: `${report.currentMajor}.${report.currentMinor}.${report.currentBuild}`,
  }
}

/** SHA-256 (hex) of a certificate's DER: how a trust anchor is pinned. */
export const certificateFingerprint = (certificate: X509Certificate): string => createHash('sha256').update(certificate.raw).digest('hex')

/** SHA-256 (hex) of a public key's SubjectPublicKeyInfo DER. */
export const publicKeyFingerprint = (key: KeyObject): string => createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('hex')

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
  if (!ark.checkIssued(ark) || !ark.verify(ark.publicKey)) return failed('snp', 'certificate-chain', `the ARK (${ark.subject.replace(/\n/g, ', ')}) is not self-signed`)
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
    if (certified !== tcb[field]) return failed('snp', 'tcb-binding', `the VCEK was issued for ${field} SPL ${certified}, the report says ${String(tcb[field])}`)
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
    return failed('snp', 'signature', `the VCEK's key is not EC P-384 (${key.asymmetricKeyType ?? 'unknown'} ${key.asymmetricKeyDetails?.namedCurve ?? ''})`.trim())
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

/**
 * Verifies an SEV-SNP report offline. Every check runs that can (so a failure lists all problems):
 * report-format, nonce-binding, signature, certificate-chain, validity, trust-anchor, tcb-binding,
 * debug-disabled, measurement-allow-list. Without a VCEK, ASK or trusted ARK the checks that need
 * them are skipped, and the result is not ok.
 */
export function verifySnpReport(report: Buffer, options: SnpVerifyOptions): VerificationResult {
  const now = options.now ?? new Date()
  let parsed: SnpReport
  try {
    parsed = parseSnpReport(report)
  } catch (error) {
    return resultOf('snp', [failed('snp', 'report-format', (error as Error).message)], { claims: {}, measurements: [], keyFingerprint: null })
  }
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

  const problem = vcek.problem ?? ask.problem ?? ark.problem
  if (problem) checks.push(failed('snp', 'certificate-chain', problem))
  else if (!vcek.certificate || !ask.certificate || !ark.certificate) {
    const missing = [!vcek.certificate && 'VCEK', !ask.certificate && 'ASK (attest.trust.askCert)', !ark.certificate && 'ARK (attest.trust.arkCert)'].filter(Boolean)
    checks.push(skipped('snp', 'certificate-chain', `not checked: no ${missing.join(', ')}`))
  } else checks.push(chainCheck(ark.certificate, ask.certificate, vcek.certificate))

  const present: Array<[string, X509Certificate]> = []
  for (const [label, certificate] of [['VCEK', vcek.certificate], ['ASK', ask.certificate], ['ARK', ark.certificate]] as const) {
    if (certificate) present.push([label, certificate])
  }
  checks.push(present.length > 0 ? validityCheck(present, now) : skipped('snp', 'validity', 'no certificates to check'))

  if (trusted.problem) checks.push(failed('snp', 'trust-anchor', trusted.problem))
  else if (!trusted.certificate) checks.push(skipped('snp', 'trust-anchor', 'no trusted ARK supplied (attest.trust.arkCert)'))
  else if (!ark.certificate) checks.push(failed('snp', 'trust-anchor', 'the chain has no ARK'))
  else {
    const expected = certificateFingerprint(trusted.certificate)
    const actual = certificateFingerprint(ark.certificate)
    checks.push(
      expected === actual
        ? passed('snp', 'trust-anchor', `the chain ends in the trusted ARK (sha256 ${expected})`)
        : failed('snp', 'trust-anchor', `the chain's ARK (sha256 ${actual}) is not the trusted ARK (sha256 ${expected})`),
    )
  }

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
