import { createPrivateKey, type KeyObject } from 'node:crypto'
import type { JWK } from 'jose'
import type { AttestationReportBody } from '../attest/collect.js'
import { sha512ReportData } from '../attest/nonce-binding.js'
import { signNvidiaToken } from '../attest/nvidia.js'
import { buildSnpReport, signSnpReport } from '../attest/snp-report.js'
import type { SimAttestation } from '../io/schema/sim-endpoint.js'
import { UserError } from '../util/errors.js'
import { readNamedFile } from '../io/schema/load-file.js'

interface Identity {
  vcekKey: KeyObject
  vcekCert: string
  nvidiaJwk: JWK
  measurement: Buffer
  chipId: Buffer
  reportedTcb: bigint
}

function loadIdentity(config: Omit<SimAttestation, 'swapAfterReports' | 'swapTo'>, where: string): Identity {
  const read = (path: string, field: string): string => readNamedFile(where, `attestation.${field}`, path).toString('utf8')
  let nvidiaJwk: JWK
  try {
    nvidiaJwk = JSON.parse(read(config.nvidiaJwk, 'nvidiaJwk')) as JWK
  } catch (error) {
    if (error instanceof UserError) throw error
    throw new UserError(`${where}: attestation.nvidiaJwk: ${config.nvidiaJwk} is not a JSON Web Key`)
  }
  return {
    vcekKey: createPrivateKey(read(config.vcekKey, 'vcekKey')),
    vcekCert: read(config.vcekCert, 'vcekCert'),
    nvidiaJwk,
    measurement: Buffer.from(config.measurement, 'hex'),
    chipId: Buffer.from(config.chipId, 'hex'),
    reportedTcb: BigInt(config.reportedTcb),
  }
}

/**
 * The evidence a simulated confidential VM gives for a nonce, in the pattern of attested
 * OpenAI-compatible APIs: an SEV-SNP report whose report_data is SHA-512(nonce) (geopat's binding),
 * signed by the VCEK key, with the VCEK certificate; and an NVIDIA attestation token with
 * `eat_nonce` and an overall result of true. After `swapAfterReports` reports the second identity
 * answers: another machine behind the same URL.
 */
export function simAttestationReporter(config: SimAttestation, where: string): (query: URLSearchParams) => Promise<AttestationReportBody> {
  const first = loadIdentity(config, where)
  const second = config.swapTo ? loadIdentity(config.swapTo, `${where} swapTo`) : undefined
  let served = 0
  return async (query) => {
    const nonce = (query.get('nonce') ?? '').toLowerCase()
    const identity = second && config.swapAfterReports !== undefined && served >= config.swapAfterReports ? second : first
    served++
    const unsigned = buildSnpReport({
      reportData: sha512ReportData(nonce),
      measurement: identity.measurement,
      chipId: identity.chipId,
      reportedTcb: identity.reportedTcb,
      currentTcb: identity.reportedTcb,
      committedTcb: identity.reportedTcb,
      launchTcb: identity.reportedTcb,
    })
    const token = await signNvidiaToken({ eat_nonce: nonce, 'x-nvidia-overall-att-result': true }, identity.nvidiaJwk, identity.nvidiaJwk.kid ?? 'geopat-sim')
    return {
      nonce,
      signing_algo: 'ecdsa',
      snp: { report: signSnpReport(unsigned, identity.vcekKey).toString('base64'), vcekCert: identity.vcekCert },
      nvidia: { token },
    }
  }
}
