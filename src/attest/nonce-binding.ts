import { createHash, timingSafeEqual } from 'node:crypto'
import { UserError } from '../util/errors.js'
import { failed, passed } from './checks.js'
import type { EvidenceKind } from '../io/schema/attestation.js'
import type { Check } from './evidence-types.js'

/**
 * How a nonce is placed in the 64 bytes of report data of an SNP report or a TDX quote.
 * - `sha512` (geopat's binding, the default): report_data = SHA-512(nonce bytes), all 64 bytes.
 *   This is what geopat asks `snpguest report` for, and what `geopat sim` serves.
 * - `raw`: the nonce bytes themselves at `rawNonceOffset` (default 0); the other bytes are not
 *   compared (attested APIs put other data there, e.g. a signing key's hash before the nonce).
 * The nonce itself is hex (geopat sends 32 random bytes as 64 hex digits); "nonce bytes" are those
 * hex digits decoded.
 */
export type NonceBinding = 'sha512' | 'raw'

const REPORT_DATA_BYTES = 64

/** The nonce's bytes (it is hex); a UserError for anything else. */
function nonceBytes(nonce: string): Buffer {
  if (nonce.length === 0 || nonce.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(nonce)) {
    throw new UserError(`attestation nonce must be an even number of hex digits, got ${JSON.stringify(nonce.slice(0, 80))}`)
  }
  return Buffer.from(nonce, 'hex')
}

/** The 64 bytes of report data that bind `nonce` the way geopat does: SHA-512 of the nonce bytes. */
export const sha512ReportData = (nonce: string): Buffer => createHash('sha512').update(nonceBytes(nonce)).digest()

/**
 * The report data to put in a report for `nonce` (what a test or the simulator signs): SHA-512 of
 * the nonce bytes, or the nonce bytes at `rawNonceOffset` zero-padded to 64 bytes.
 */
export function reportDataFor(nonce: string, binding: NonceBinding = 'sha512', rawNonceOffset = 0): Buffer {
  if (binding === 'sha512') return sha512ReportData(nonce)
  const bytes = nonceBytes(nonce)
  if (rawNonceOffset < 0 || rawNonceOffset + bytes.length > REPORT_DATA_BYTES) {
    throw new UserError(`a ${bytes.length}-byte nonce at offset ${rawNonceOffset} does not fit in ${REPORT_DATA_BYTES} bytes of report data`)
  }
  const data = Buffer.alloc(REPORT_DATA_BYTES)
  bytes.copy(data, rawNonceOffset)
  return data
}

/** Checks that `reportData` (64 bytes from the signed evidence) binds `nonce`: the nonce-binding check. */
export function checkReportDataBinding(evidence: EvidenceKind, reportData: Buffer, nonce: string, binding: NonceBinding = 'sha512', rawNonceOffset = 0): Check {
  let bytes: Buffer
  try {
    bytes = nonceBytes(nonce)
  } catch (error) {
    return failed(evidence, 'nonce-binding', (error as Error).message)
  }
  if (binding === 'sha512') {
    const expected = createHash('sha512').update(bytes).digest()
    return reportData.length === expected.length && timingSafeEqual(reportData, expected)
      ? passed(evidence, 'nonce-binding', 'report_data = SHA-512(nonce)')
      : failed(evidence, 'nonce-binding', `report_data is not SHA-512 of the nonce sent (report_data ${reportData.toString('hex').slice(0, 32)}…)`)
  }
  const slice = reportData.subarray(rawNonceOffset, rawNonceOffset + bytes.length)
  return slice.length === bytes.length && timingSafeEqual(slice, bytes)
    ? passed(evidence, 'nonce-binding', `report_data[${rawNonceOffset}..${rawNonceOffset + bytes.length}) = nonce`)
    : failed(
        evidence,
        'nonce-binding',
        `report_data[${rawNonceOffset}..${rawNonceOffset + bytes.length}) is not the nonce sent (found ${slice.toString('hex').slice(0, 32)}…)`,
      )
}
