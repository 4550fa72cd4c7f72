import { createHash, randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import type { Dispatcher } from 'undici'
import { execa } from 'execa'
import { type ResolvedEndpoint, redactSecrets } from '../client/endpoint.js'
import { type AttestConfig, DEFAULT_LIMITS } from '../io/schema/scenario.js'
import { requestBounded } from '../client/bounded-request.js'
import { readNamedFile } from '../io/schema/load-file.js'

/** The body of GET /v1/attestation/report in geopat's shape (what `geopat sim` serves). */
export interface AttestationReportBody {
  nonce: string
  signing_algo?: string
  snp?: { report: string; vcekCert?: string }
  nvidia?: { token: string }
  /** Attested APIs in the NEAR AI / Phala pattern: a TDX quote (hex). */
  intel_quote?: string
}

/** Evidence as obtained, before any verification: the blobs, their hashes, and how long it took. */
export interface CollectedEvidence {
  source: AttestConfig['source']
  nonce: string
  fetchedAt: string
  /** The attestation round trip (request → evidence in hand), ms; null for files. */
  roundTripMs: number | null
  snpReport: Buffer | null
  vcekCert: string | null
  nvidiaToken: string | null
  /** Raw GPU evidence as `nvattest collect-evidence` prints it (JSON), recorded, not verified here. */
  nvidiaEvidence: string | null
  tdxQuote: Buffer | null
  /** SHA-256 of every blob, by name: what the summary and the report show. */
  hashes: Record<string, string>
  /** Why nothing (or less) was obtained, said plainly. */
  notes: string[]
}

export const freshNonce = (): string => randomBytes(32).toString('hex')
const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex')

function withHashes(evidence: Omit<CollectedEvidence, 'hashes'>): CollectedEvidence {
  const hashes: Record<string, string> = {}
  if (evidence.snpReport) hashes.snpReport = sha256(evidence.snpReport)
  if (evidence.vcekCert) hashes.vcekCert = sha256(evidence.vcekCert)
  if (evidence.nvidiaToken) hashes.nvidiaToken = sha256(evidence.nvidiaToken)
  if (evidence.nvidiaEvidence) hashes.nvidiaEvidence = sha256(evidence.nvidiaEvidence)
  if (evidence.tdxQuote) hashes.tdxQuote = sha256(evidence.tdxQuote)
  return { ...evidence, hashes }
}

const empty = (source: AttestConfig['source'], nonce: string, note: string): CollectedEvidence =>
  withHashes({
    source,
    nonce,
    fetchedAt: new Date().toISOString(),
    roundTripMs: null,
    snpReport: null,
    vcekCert: null,
    nvidiaToken: null,
    nvidiaEvidence: null,
    tdxQuote: null,
    notes: [note],
  })

/**
 * Asks an endpoint's attestation API for evidence bound to `nonce` (the pattern of attested
 * OpenAI-compatible APIs: GET /v1/attestation/report?model=&nonce=&signing_algo=ecdsa), timing the
 * round trip. An endpoint without one (plain vLLM on a confidential VM) gives a note, not an error.
 */
export async function collectFromApi(
  endpoint: ResolvedEndpoint,
  dispatcher: Dispatcher,
  model: string,
  nonce: string,
  timeoutMs: number,
  maxBytes = DEFAULT_LIMITS.maxResponseBytes,
): Promise<CollectedEvidence> {
  const headers: Record<string, string> = { accept: 'application/json', ...endpoint.headers }
  if (endpoint.apiKey) headers.authorization = `Bearer ${endpoint.apiKey}`
  const query = new URLSearchParams({ model, nonce, signing_algo: 'ecdsa' })
  const started = performance.now()
  let status: number
  let text: string
  try {
    const response = await requestBounded(
      dispatcher,
      { origin: endpoint.origin, path: `${endpoint.basePath}/v1/attestation/report?${query}`, method: 'GET', headers },
      { deadlineMs: timeoutMs, maxBytes },
    )
    status = response.statusCode
    text = response.text
  } catch (error) {
    return empty('api', nonce, `${endpoint.label}: the attestation request failed (${redactSecrets((error as Error).message, endpoint)})`)
  }
  const roundTripMs = performance.now() - started
  if (status === 404)
    return empty(
      'api',
      nonce,
      `${endpoint.label}: serves no attestation report (GET /v1/attestation/report: 404); plain vLLM on a confidential VM exposes none`,
    )
  if (status !== 200) return empty('api', nonce, `${endpoint.label}: the attestation report answered HTTP ${status}`)
  let body: AttestationReportBody
  try {
    body = JSON.parse(text) as AttestationReportBody
  } catch {
    return empty('api', nonce, `${endpoint.label}: the attestation report is not JSON`)
  }
  const notes: string[] = []
  if (body.nonce !== undefined && body.nonce.toLowerCase() !== nonce) notes.push(`${endpoint.label}: the report echoes another nonce than the one sent`)
  return withHashes({
    source: 'api',
    nonce,
    fetchedAt: new Date().toISOString(),
    roundTripMs,
    snpReport: body.snp?.report ? Buffer.from(body.snp.report, 'base64') : null,
    vcekCert: body.snp?.vcekCert ?? null,
    nvidiaToken: body.nvidia?.token ?? null,
    nvidiaEvidence: null,
    tdxQuote: body.intel_quote ? Buffer.from(body.intel_quote, 'hex') : null,
    notes,
  })
}

/** Evidence files a user brings (read as they are: their own nonce binding is checked later). */
export function collectFromFiles(files: NonNullable<AttestConfig['files']>, nonce: string, where: string): CollectedEvidence {
  const read = (path: string | undefined, field: string): Buffer | null => (path === undefined ? null : readNamedFile(where, `attest.files.${field}`, path))
  const token = read(files.nvidiaToken, 'nvidiaToken')
  const cert = read(files.vcekCert, 'vcekCert')
  return withHashes({
    source: 'files',
    nonce,
    fetchedAt: new Date().toISOString(),
    roundTripMs: null,
    snpReport: read(files.snpReport, 'snpReport'),
    vcekCert: cert ? cert.toString('utf8') : null,
    nvidiaToken: token ? token.toString('utf8').trim() : null,
    nvidiaEvidence: null,
    tdxQuote: null,
    notes: [],
  })
}

/**
 * On a confidential VM itself: `snpguest report REPORT REQUEST` (the 64 bytes of request data from
 * REQUEST: geopat's binding, SHA-512 of the nonce), or `nvattest collect-evidence --device gpu
 * --nonce HEX` (GPU evidence as JSON, recorded; appraising it needs NVIDIA's RIMs and OCSP). Their
 * absence (not a confidential VM, not installed) is a note, not a failure.
 */
export async function collectFromCli(tool: 'snpguest' | 'nvattest', nonce: string, workDir: string): Promise<CollectedEvidence> {
  const reportFile = join(workDir, 'snp-report.bin')
  const requestFile = join(workDir, 'snp-request.bin')
  if (tool === 'snpguest') writeFileSync(requestFile, createHash('sha512').update(Buffer.from(nonce, 'hex')).digest())
  const args = tool === 'snpguest' ? ['report', reportFile, requestFile] : ['collect-evidence', '--device', 'gpu', '--nonce', nonce]
  const started = performance.now()
  const result = await execa(tool, args, { reject: false, timeout: 60_000 })
  if ((result as { code?: string }).code === 'ENOENT' || /ENOENT/.test(String((result as { message?: string }).message ?? ''))) {
    return empty(tool, nonce, `${tool}: not installed on this machine (it runs on the confidential VM itself)`)
  }
  if (result.exitCode !== 0) return empty(tool, nonce, `${tool} exited ${result.exitCode}: ${String(result.stderr).split('\n')[0] ?? ''}`)
  const roundTripMs = performance.now() - started
  const base = {
    source: tool,
    nonce,
    fetchedAt: new Date().toISOString(),
    roundTripMs,
    snpReport: null,
    vcekCert: null,
    nvidiaToken: null,
    nvidiaEvidence: null,
    tdxQuote: null,
    notes: [],
  }
  if (tool === 'snpguest') return withHashes({ ...base, snpReport: readFileSync(reportFile) })
  return withHashes({ ...base, nvidiaEvidence: String(result.stdout) })
}
