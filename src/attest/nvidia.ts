import {
  type JSONWebKeySet,
  type JWK,
  SignJWT,
  calculateJwkThumbprint,
  compactVerify,
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  importJWK,
} from 'jose'
import { failed, passed, resultOf, skipped } from './checks.js'
import type { Check, VerificationResult } from './evidence-types.js'

/**
 * NVIDIA GPU attestation tokens: the JWT that NVIDIA's attestation service (NRAS) or `nvattest`
 * returns after appraising a GPU's evidence, with `eat_nonce` (the nonce the client sent) and
 * `x-nvidia-overall-att-result`. Verified offline against a JWKS file the user supplies (NRAS's
 * keys, saved beforehand: air-gapped sites cannot fetch them).
 */

export interface NvidiaVerifyOptions {
  /** The nonce geopat sent (hex); `eat_nonce` must equal it (case-insensitive). */
  nonce: string
  /** The trust anchor: the JWKS the user supplies (attest.trust.nvidiaJwks); null: signature not checked. */
  jwks: JSONWebKeySet | null
  /** When the token must be valid (exp, nbf); default now. */
  now?: Date
  /** Seconds of clock skew allowed on exp and nbf; default 0. */
  clockToleranceSeconds?: number
  /** Signature algorithms accepted; default ES384 (what NRAS signs with). */
  algorithms?: string[]
  /** Claims that must have one of the listed values (e.g. a driver version or a measurement claim). */
  expectedClaims?: Record<string, ReadonlyArray<string | number | boolean>>
}

/** The token to verify: a compact JWT as it is, or the overall JWT of NRAS's `[["JWT", token], {GPU-0: token}]`. */
function overallNvidiaToken(token: string): { jwt: string; detachedTokens: number } {
  const text = token.trim()
  if (!text.startsWith('[')) return { jwt: text, detachedTokens: 0 }
  let list: unknown
  try {
    list = JSON.parse(text)
  } catch {
    throw new Error('the token is neither a JWT nor a JSON list of tokens')
  }
  if (!Array.isArray(list)) throw new Error('the token list is not a JSON array')
  const overall = list.find((entry): entry is [string, string] => Array.isArray(entry) && entry[0] === 'JWT' && typeof entry[1] === 'string')
  if (!overall) throw new Error('the token list holds no ["JWT", token] entry')
  const detached = list.find((entry): entry is Record<string, unknown> => typeof entry === 'object' && entry !== null && !Array.isArray(entry))
  return { jwt: overall[1], detachedTokens: detached ? Object.keys(detached).length : 0 }
}

const base64UrlToHex = (value: string): string => Buffer.from(value, 'base64url').toString('hex')

function jsonSafe(payload: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(payload)) as Record<string, unknown>
}

function validityCheck(payload: Record<string, unknown>, now: Date, toleranceSeconds: number): Check {
  const nowSeconds = Math.floor(now.getTime() / 1000)
  const { exp, nbf } = payload
  if (typeof exp !== 'number') return failed('nvidia', 'validity', 'the token has no exp claim')
  if (nowSeconds > exp + toleranceSeconds)
    return failed('nvidia', 'validity', `the token expired ${new Date(exp * 1000).toISOString()} (checked at ${now.toISOString()})`)
  if (nbf !== undefined) {
    if (typeof nbf !== 'number') return failed('nvidia', 'validity', 'the nbf claim is not a number')
    if (nowSeconds + toleranceSeconds < nbf)
      return failed('nvidia', 'validity', `the token is not valid before ${new Date(nbf * 1000).toISOString()} (checked at ${now.toISOString()})`)
  }
  return passed('nvidia', 'validity', `valid at ${now.toISOString()} (exp ${new Date(exp * 1000).toISOString()})`)
}

function claimsAllowListCheck(payload: Record<string, unknown>, expected: Record<string, ReadonlyArray<string | number | boolean>>): Check {
  for (const [claim, allowed] of Object.entries(expected)) {
    const value = payload[claim]
    const matches = allowed.some((entry) =>
      typeof entry === 'string' && typeof value === 'string' ? entry.toLowerCase() === value.toLowerCase() : entry === value,
    )
    if (!matches) return failed('nvidia', 'claims-allow-list', `${claim} is ${JSON.stringify(value) ?? 'absent'}, not one of ${JSON.stringify(allowed)}`)
  }
  return passed('nvidia', 'claims-allow-list', `${Object.keys(expected).join(', ')} have allowed values`)
}

/**
 * Verifies an NVIDIA attestation token offline. Checks: report-format, signature and trust-anchor
 * (against the JWKS), validity (exp, nbf at `now`), nonce-binding (`eat_nonce`), overall-result
 * (`x-nvidia-overall-att-result` is true), and claims-allow-list when expectedClaims are given.
 * Claims are read (unverified) even when the signature fails, so every problem is listed.
 */
export async function verifyNvidiaToken(token: string, options: NvidiaVerifyOptions): Promise<VerificationResult> {
  const now = options.now ?? new Date()
  const empty = { claims: {}, measurements: [], keyFingerprint: null }
  let jwt: string
  let detachedTokens: number
  let payload: Record<string, unknown>
  let algorithm: string
  try {
    ;({ jwt, detachedTokens } = overallNvidiaToken(token))
    payload = decodeJwt(jwt) as Record<string, unknown>
    algorithm = String(decodeProtectedHeader(jwt).alg)
  } catch (error) {
    return resultOf('nvidia', [failed('nvidia', 'report-format', `not an attestation token: ${(error as Error).message}`)], empty)
  }
  const checks: Check[] = [
    passed(
      'nvidia',
      'report-format',
      `JWT signed ${algorithm}${detachedTokens > 0 ? `, with ${detachedTokens} detached GPU token(s) (recorded, not verified)` : ''}`,
    ),
  ]

  const { checks: signatureChecks, keyFingerprint } = await signatureChecksOf(jwt, options)
  checks.push(...signatureChecks)

  checks.push(validityCheck(payload, now, options.clockToleranceSeconds ?? 0))
  const eatNonce = payload.eat_nonce
  checks.push(
    typeof eatNonce === 'string' && eatNonce.toLowerCase() === options.nonce.toLowerCase()
      ? passed('nvidia', 'nonce-binding', 'eat_nonce = nonce')
      : failed('nvidia', 'nonce-binding', `eat_nonce ${JSON.stringify(eatNonce) ?? 'absent'} is not the nonce sent`),
  )
  const overall = payload['x-nvidia-overall-att-result']
  checks.push(
    overall === true
      ? passed('nvidia', 'overall-result', 'x-nvidia-overall-att-result is true')
      : failed('nvidia', 'overall-result', `x-nvidia-overall-att-result is ${JSON.stringify(overall) ?? 'absent'}, not true`),
  )
  if (options.expectedClaims && Object.keys(options.expectedClaims).length > 0) checks.push(claimsAllowListCheck(payload, options.expectedClaims))

  return resultOf('nvidia', checks, { claims: jsonSafe(payload), measurements: [], keyFingerprint })
}

/** The signature and trust-anchor checks of a token against the supplied JWKS, and the signing key's fingerprint. */
async function signatureChecksOf(jwt: string, options: NvidiaVerifyOptions): Promise<{ checks: Check[]; keyFingerprint: string | null }> {
  const checks: Check[] = []
  if (!options.jwks) {
    checks.push(skipped('nvidia', 'signature', 'no JWKS to check the signature with'))
    checks.push(skipped('nvidia', 'trust-anchor', 'no JWKS supplied (attest.trust.nvidiaJwks)'))
    return { checks, keyFingerprint: null }
  }
  const keyCount = options.jwks.keys.length
  try {
    const verified = await compactVerify(jwt, createLocalJWKSet(options.jwks), { algorithms: options.algorithms ?? ['ES384'] })
    const jwk = await exportJWK(verified.key)
    const keyFingerprint = base64UrlToHex(await calculateJwkThumbprint(jwk, 'sha256'))
    const kid = verified.protectedHeader.kid
    checks.push(passed('nvidia', 'signature', `${verified.protectedHeader.alg} signature verifies with ${kid ? `key ${kid}` : 'a key'} of the JWKS`))
    checks.push(passed('nvidia', 'trust-anchor', `the signing key is in the supplied JWKS (${keyCount} key(s))`))
    return { checks, keyFingerprint }
  } catch (error) {
    const code = (error as { code?: string }).code ?? ''
    if (code === 'ERR_JWKS_NO_MATCHING_KEY') {
      checks.push(failed('nvidia', 'signature', 'no key in the JWKS matches the token (kid, alg)'))
      checks.push(failed('nvidia', 'trust-anchor', `the token was not signed by a key of the supplied JWKS (${keyCount} key(s))`))
    } else {
      const detail =
        code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED'
          ? 'the token signature does not verify'
          : `the token signature cannot be checked (${(error as Error).message})`
      checks.push(failed('nvidia', 'signature', detail))
      checks.push(passed('nvidia', 'trust-anchor', `JWKS supplied (${keyCount} key(s))`))
    }
    return { checks, keyFingerprint: null }
  }
}

/** The JWS algorithm for an EC JWK's curve. */
function algorithmFor(jwk: JWK): string {
  if (jwk.kty === 'EC' && jwk.crv === 'P-384') return 'ES384'
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return 'ES256'
  if (jwk.kty === 'EC' && jwk.crv === 'P-521') return 'ES512'
  if (jwk.alg) return jwk.alg
  throw new Error(`no signature algorithm for a ${jwk.kty ?? 'key'} JWK without alg`)
}

/**
 * Signs an NVIDIA-style attestation token (for tests and `geopat sim`): the claims as given, with
 * `iat` (now) and `exp` (an hour later) added where absent, header `{alg, kid, typ: JWT}`. The
 * private JWK is EC (P-384 gives ES384, as NRAS signs).
 */
export async function signNvidiaToken(claims: Record<string, unknown>, privateJwk: JWK, kid: string): Promise<string> {
  const alg = algorithmFor(privateJwk)
  const key = await importJWK(privateJwk, alg)
  const nowSeconds = Math.floor(Date.now() / 1000)
  const body = { iat: nowSeconds, exp: nowSeconds + 3600, ...claims }
  return new SignJWT(body).setProtectedHeader({ alg, kid, typ: 'JWT' }).sign(key)
}
