import { createHash } from 'node:crypto'
import { type Collateral, Quote, QuoteVerifier, type TDReport10, type TcbStatus, constants } from '@phala/dcap-qvl'
import { z } from 'zod'
import { failed, parseOrReject, passed, resultOf, skipped } from './checks.js'
import type { CheckName } from '../io/schema/attestation.js'
import type { Check, VerificationResult } from './evidence-types.js'
import { checkMeasurementAllowList } from './measurements.js'
import { type NonceBinding, checkReportDataBinding } from './nonce-binding.js'

/**
 * Intel TDX DCAP quotes (v4; v5 with a TD 1.0 or 1.5 body): parsed with @phala/dcap-qvl's Quote
 * and verified with its QuoteVerifier against collateral the user supplies as a file (PCK CRLs,
 * TCB info, QE identity, as `getCollateral` returns them). Never fetched here: no network.
 */

const TEE_TYPE_TDX = 0x81

export interface TdxQuoteFields {
  version: number
  /** td10 (TDX 1.0 report) or td15 (TDX 1.5). */
  reportType: 'td10' | 'td15'
  teeTcbSvn: string
  mrSeam: string
  mrSignerSeam: string
  tdAttributes: string
  xfam: string
  /** The TD's build-time measurement. */
  mrTd: string
  mrConfigId: string
  mrOwner: string
  mrOwnerConfig: string
  rtmr0: string
  rtmr1: string
  rtmr2: string
  rtmr3: string
  reportData: string
  /** The quoting enclave's ECDSA P-256 attestation key (x‖y, hex). */
  attestationKey: string
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')

/** Parses a TDX quote (v4 or v5); throws an Error naming what is wrong (an SGX quote, a truncated one). */
export function parseTdxQuote(quote: Buffer): TdxQuoteFields {
  let parsed: Quote
  try {
    parsed = Quote.parse(quote)
  } catch (error) {
    throw new Error(`not a DCAP quote (${(error as Error).message})`)
  }
  if (parsed.header.teeType !== TEE_TYPE_TDX) throw new Error(`not a TDX quote (TEE type 0x${parsed.header.teeType.toString(16)})`)
  const td15 = parsed.report.asTd15()
  const td: TDReport10 | null = td15 ? td15.base : parsed.report.asTd10()
  if (!td) throw new Error('the quote carries no TD report')
  return {
    version: parsed.header.version,
    reportType: td15 ? 'td15' : 'td10',
    teeTcbSvn: hex(td.teeTcbSvn),
    mrSeam: hex(td.mrSeam),
    mrSignerSeam: hex(td.mrSignerSeam),
    tdAttributes: hex(td.tdAttributes),
    xfam: hex(td.xfam),
    mrTd: hex(td.mrTd),
    mrConfigId: hex(td.mrConfigId),
    mrOwner: hex(td.mrOwner),
    mrOwnerConfig: hex(td.mrOwnerConfig),
    rtmr0: hex(td.rtMr0),
    rtmr1: hex(td.rtMr1),
    rtmr2: hex(td.rtMr2),
    rtmr3: hex(td.rtMr3),
    reportData: hex(td.reportData),
    attestationKey: hex(parsed.authData.intoV3().ecdsaAttestationKey),
  }
}

const bytesOrHex = z.union([z.string(), z.array(z.number().int().min(0).max(255))])

/** The collateral file: what @phala/dcap-qvl's getCollateral returns, saved as JSON. */
export const tdxCollateralSchema = z
  .object({
    pck_crl_issuer_chain: z.string(),
    root_ca_crl: bytesOrHex,
    pck_crl: bytesOrHex,
    tcb_info_issuer_chain: z.string(),
    tcb_info: z.string(),
    tcb_info_signature: bytesOrHex,
    qe_identity_issuer_chain: z.string(),
    qe_identity: z.string(),
    qe_identity_signature: bytesOrHex,
    /** Present when the quote carries no PCK chain itself (certification data type 3). */
    pck_certificate_chain: z.string().optional(),
  })
  .loose()

export interface TdxVerifyOptions {
  /** The nonce geopat sent (hex). */
  nonce: string
  nonceBinding?: NonceBinding
  rawNonceOffset?: number
  /** Intel's collateral, from the file the user supplies (attest.trust.tdxCollateral); null: not verified. */
  collateral: Collateral | null
  /**
   * The root CA (DER) the PCK, TCB-info and QE-identity chains must end in; default: Intel's SGX
   * Root CA as pinned in @phala/dcap-qvl.
   */
  rootCaDer?: Buffer | null
  /** MRTD values allowed (hex); empty: not pinned, so never `verified`. */
  allowedMeasurements: readonly string[]
  /** TCB statuses accepted; default UpToDate and SWHardeningNeeded. */
  acceptedTcbStatuses?: readonly TcbStatus[]
  /** When collateral and certificates must be valid; default now. */
  now?: Date
}

const DCAP_CHECKS: CheckName[] = ['signature', 'certificate-chain', 'validity', 'tcb-status', 'debug-disabled']

/** @phala/dcap-qvl's messages on the TCB level: TCB info and status, and the QE identity and its fields. */
const TCB_STATUS_MESSAGE = /TCB status|TCB level|TcbInfo|TCB info|Fmspc|SEPT_VE|Reserved bits|mr service td/i
const QE_IDENTITY_MESSAGE = /QE Identity|QeIdentity|ISVSVN|MRSIGNER|ISVPRODID|MISCSELECT|ATTRIBUTES mismatch/i

/** Which check a @phala/dcap-qvl error belongs to (it stops at the first problem). */
function dcapFailureCheck(message: string): CheckName {
  if (/expired|not yet valid|in the future/i.test(message)) return 'validity'
  if (/certificate chain|chain is too short|CaUsedAsEndEntity|revoked|PCK cert/i.test(message) && !/TCB status/i.test(message)) return 'certificate-chain'
  if (/debug/i.test(message)) return 'debug-disabled'
  if (TCB_STATUS_MESSAGE.test(message) || QE_IDENTITY_MESSAGE.test(message)) return 'tcb-status'
  if (/signature|hash mismatch/i.test(message)) return 'signature'
  if (/decode|Unsupported|Invalid tee|version/i.test(message)) return 'report-format'
  return 'certificate-chain'
}

/**
 * Verifies a TDX quote offline. Checks: report-format, nonce-binding (report_data),
 * trust-anchor (collateral and root CA supplied), then @phala/dcap-qvl's appraisal split into
 * signature, certificate-chain, validity, tcb-status and debug-disabled (it stops at the first
 * failure: the checks after it are reported as not reached), and measurement-allow-list (MRTD).
 */
export function verifyTdxQuote(quote: Buffer, options: TdxVerifyOptions): VerificationResult {
  const now = options.now ?? new Date()
  const read = parseOrReject('tdx', () => parseTdxQuote(quote))
  if ('rejected' in read) return read.rejected
  const fields = read.parsed
  const checks: Check[] = [passed('tdx', 'report-format', `TDX quote v${fields.version} (${fields.reportType})`)]
  checks.push(checkReportDataBinding('tdx', Buffer.from(fields.reportData, 'hex'), options.nonce, options.nonceBinding, options.rawNonceOffset))
  const claims: Record<string, unknown> = { ...fields }

  appraiseWithCollateral(quote, options, now, { checks, claims })
  checks.push(checkMeasurementAllowList('tdx', 'MRTD', fields.mrTd, options.allowedMeasurements))

  return resultOf('tdx', checks, {
    claims,
    measurements: [fields.mrTd, fields.rtmr0, fields.rtmr1, fields.rtmr2, fields.rtmr3],
    keyFingerprint: createHash('sha256').update(Buffer.from(fields.attestationKey, 'hex')).digest('hex'),
  })
}

/**
 * The trust-anchor check and @phala/dcap-qvl's appraisal against the supplied collateral (skipped
 * without it), added to `into.checks`; the TCB status and advisories go into `into.claims`. A
 * failure the appraisal calls a format error replaces the report-format check (checks[0]).
 */
function appraiseWithCollateral(quote: Buffer, options: TdxVerifyOptions, now: Date, into: { checks: Check[]; claims: Record<string, unknown> }): void {
  const { checks, claims } = into
  const rootCaDer = options.rootCaDer ?? constants.TRUSTED_ROOT_CA_DER
  const rootFingerprint = createHash('sha256').update(rootCaDer).digest('hex')
  if (!options.collateral) {
    checks.push(skipped('tdx', 'trust-anchor', 'no TDX collateral supplied (attest.trust.tdxCollateral)'))
    for (const name of DCAP_CHECKS) checks.push(skipped('tdx', name, 'not checked: no collateral'))
  } else {
    const rootLabel = options.rootCaDer ? 'the supplied root CA' : "Intel's SGX Root CA pinned in @phala/dcap-qvl"
    checks.push(passed('tdx', 'trust-anchor', `collateral supplied; chains must end in ${rootLabel} (sha256 ${rootFingerprint})`))
    try {
      const verified = QuoteVerifier.newWithRootCa(rootCaDer).verify(quote, options.collateral, Math.floor(now.getTime() / 1000))
      claims.tcbStatus = verified.status
      claims.advisoryIds = verified.advisory_ids
      const accepted = options.acceptedTcbStatuses ?? ['UpToDate', 'SWHardeningNeeded']
      checks.push(passed('tdx', 'signature', 'the quote, QE report, TCB info and QE identity signatures verify'))
      checks.push(passed('tdx', 'certificate-chain', 'PCK, TCB-signing and QE-identity chains end in the root CA; none revoked per the CRLs'))
      checks.push(passed('tdx', 'validity', `certificates and collateral valid at ${now.toISOString()}`))
      const advisories = verified.advisory_ids.length > 0 ? ` (${verified.advisory_ids.join(', ')})` : ''
      checks.push(
        accepted.includes(verified.status)
          ? passed('tdx', 'tcb-status', `TCB status ${verified.status}${advisories}`)
          : failed('tdx', 'tcb-status', `TCB status ${verified.status}${advisories} is not one of ${accepted.join(', ')}`),
      )
      checks.push(passed('tdx', 'debug-disabled', 'the TD is not debuggable (TD attributes)'))
    } catch (error) {
      const message = (error as Error).message
      const failing = dcapFailureCheck(message)
      if (failing === 'report-format') checks[0] = failed('tdx', 'report-format', message)
      for (const name of DCAP_CHECKS) {
        checks.push(name === failing ? failed('tdx', name, message) : skipped('tdx', name, `not reached: DCAP verification stopped (${message})`))
      }
    }
  }
}
