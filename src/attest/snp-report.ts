/**
 * AMD SEV-SNP attestation reports (AMD SEV-SNP ABI specification, ATTESTATION_REPORT structure):
 * 1,184 bytes, signed over bytes 0x000–0x29F with ECDSA P-384/SHA-384 by the VCEK (a key derived
 * from the chip and its TCB). Parsing, building and signing (for tests and `geopat sim`), and the
 * report as claims; verification is in snp.ts.
 */
import { createPrivateKey, sign as signData, type KeyObject } from 'node:crypto'

export const SNP_REPORT_BYTES = 0x4a0
/** The report is signed over bytes [0, 0x2A0). */
export const SNP_SIGNED_BYTES = 0x2a0
const SIGNATURE_OFFSET = 0x2a0
/** r and s are each a 72-byte little-endian field (P-384 uses the low 48 bytes). */
export const SIGNATURE_COMPONENT_BYTES = 72
export const P384_BYTES = 48
/** SIGNATURE_ALGO 1: ECDSA P-384 with SHA-384, the only one AMD defines. */
export const SNP_SIGNATURE_ALGO_ECDSA_P384_SHA384 = 1
/** Guest policy bit 19: the host may debug the guest (its memory is then readable). */
export const POLICY_DEBUG = 1n << 19n
/** Guest policy bit 17 is reserved and must be 1; bit 16 allows SMT. */
const SNP_DEFAULT_POLICY = 0x30000n

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
export const reversed = (bytes: Buffer): Buffer => Buffer.from(bytes).reverse()

/**
 * Signs a report (the signature area is ignored and overwritten) with the VCEK's private key (EC
 * P-384, a KeyObject or PEM): ECDSA SHA-384 over bytes 0x000–0x29F, r and s written little-endian
 * into their 72-byte fields. Returns a new buffer.
 */
export function signSnpReport(reportWithoutSignature: Buffer, vcekPrivateKey: KeyObject | string): Buffer {
  if (reportWithoutSignature.length !== SNP_REPORT_BYTES)
    throw new Error(`an SEV-SNP report is ${SNP_REPORT_BYTES} bytes, got ${reportWithoutSignature.length}`)
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
interface SnpTcb {
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
