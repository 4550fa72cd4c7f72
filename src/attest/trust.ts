import { X509Certificate } from 'node:crypto'
import type { Collateral } from '@phala/dcap-qvl'
import type { JSONWebKeySet } from 'jose'
import { z } from 'zod'
import { parseWithSchema } from '../io/schema/load-file.js'
import type { AttestConfig } from '../io/schema/scenario.js'
import { UserError } from '../util/errors.js'
import { splitPemCertificates } from './snp.js'
import { tdxCollateralSchema } from './tdx.js'
import { readNamedFile } from '../io/schema/load-file.js'

/**
 * Trust anchors, all from local files the user supplies (air-gapped sites cannot call home):
 * AMD's ARK (and ASK), NVIDIA's JWKS, Intel's TDX collateral. Nothing here is fetched.
 */
export interface TrustMaterial {
  /** AMD's ARK (PEM): the anchor SEV-SNP chains must end in. */
  arkPem: string | null
  /** AMD's ASK (PEM), between the ARK and the VCEK. */
  askPem: string | null
  nvidiaJwks: JSONWebKeySet | null
  tdxCollateral: Collateral | null
  /** A root CA (DER) for TDX instead of Intel's SGX Root CA pinned in @phala/dcap-qvl. */
  tdxRootCaDer: Buffer | null
}

export const NO_TRUST_MATERIAL: TrustMaterial = { arkPem: null, askPem: null, nvidiaJwks: null, tdxCollateral: null, tdxRootCaDer: null }

const jwksSchema = z.object({ keys: z.array(z.looseObject({ kty: z.string() })).min(1, 'must hold at least one key') })

function readText(path: string, field: string, where: string): string {
  return readNamedFile(where, `attest.trust.${field}`, path).toString('utf8')
}

function parseJson(text: string, path: string, field: string, where: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    throw new UserError(`${where}: attest.trust.${field}: ${path} is not JSON`)
  }
}

function readCertificates(path: string, field: string, where: string): X509Certificate[] {
  const pems = splitPemCertificates(readText(path, field, where))
  if (pems.length === 0) throw new UserError(`${where}: attest.trust.${field}: ${path} holds no PEM certificate`)
  return pems.map((pem) => {
    try {
      return new X509Certificate(pem)
    } catch {
      throw new UserError(`${where}: attest.trust.${field}: ${path} holds a certificate that cannot be read`)
    }
  })
}

const isSelfSigned = (certificate: X509Certificate): boolean => certificate.checkIssued(certificate) && certificate.verify(certificate.publicKey)

/**
 * Reads the trust files a scenario names (paths as given: resolve them first). `arkCert` may be
 * AMD's cert_chain file (ASK and ARK together): the self-signed certificate is the ARK, the other
 * the ASK unless `askCert` is given. Any unreadable or malformed file is a UserError naming it.
 */
export function loadTrustMaterial(trust: AttestConfig['trust'] | undefined, where: string): TrustMaterial {
  if (!trust) return NO_TRUST_MATERIAL
  const material: TrustMaterial = { ...NO_TRUST_MATERIAL }
  if (trust.arkCert) {
    const certificates = readCertificates(trust.arkCert, 'arkCert', where)
    const ark = certificates.find(isSelfSigned)
    if (!ark) throw new UserError(`${where}: attest.trust.arkCert: ${trust.arkCert} holds no self-signed certificate (the ARK)`)
    material.arkPem = ark.toString()
    const ask = certificates.find((certificate) => certificate !== ark)
    if (ask) material.askPem = ask.toString()
  }
  if (trust.askCert) {
    const [ask] = readCertificates(trust.askCert, 'askCert', where)
    if (ask) material.askPem = ask.toString()
  }
  if (trust.nvidiaJwks) {
    const data = parseJson(readText(trust.nvidiaJwks, 'nvidiaJwks', where), trust.nvidiaJwks, 'nvidiaJwks', where)
    material.nvidiaJwks = parseWithSchema(`${where}: attest.trust.nvidiaJwks: ${trust.nvidiaJwks}`, jwksSchema, data) as JSONWebKeySet
  }
  if (trust.tdxCollateral) {
    const data = parseJson(readText(trust.tdxCollateral, 'tdxCollateral', where), trust.tdxCollateral, 'tdxCollateral', where)
    material.tdxCollateral = parseWithSchema(`${where}: attest.trust.tdxCollateral: ${trust.tdxCollateral}`, tdxCollateralSchema, data) as Collateral
  }
  return material
}
