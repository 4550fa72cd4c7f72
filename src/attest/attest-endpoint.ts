import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Dispatcher } from 'undici'
import type { ResolvedEndpoint } from '../client/endpoint.js'
import type { AttestationRecord } from '../io/schema/attestation.js'
import type { AttestConfig } from '../io/schema/scenario.js'
import { pathInside, safePathSegment } from '../io/output/files.js'
import { type CollectedEvidence, collectFromApi, collectFromCli, collectFromFiles, freshNonce } from './collect.js'
import { buildAttestationRecord } from './record.js'
import { NO_TRUST_MATERIAL, loadTrustMaterial } from './trust.js'
import { verifyEvidence } from './verify.js'

export interface AttestEndpointInputs {
  endpoint: ResolvedEndpoint
  dispatcher: Dispatcher
  model: string
  config: AttestConfig | undefined
  phase?: 'before' | 'after'
  /** Where the evidence blobs are kept (attestation/ in the run folder); none: not kept. */
  evidenceDir?: string
  /** Source of the scenario, for messages. */
  where: string
  timeoutMs?: number
}

/**
 * One endpoint's attestation at one moment: a fresh nonce, the evidence from where the scenario
 * says (the endpoint's API, a CLI on this VM, or files), verified offline with the scenario's trust
 * anchors and allow-list, and the level it earns. An endpoint with no attest: block is `none`.
 */
export async function attestEndpoint(inputs: AttestEndpointInputs): Promise<AttestationRecord> {
  const { endpoint, config } = inputs
  if (!config) {
    return buildAttestationRecord({
      endpoint: endpoint.label,
      ...(inputs.phase ? { phase: inputs.phase } : {}),
      source: null,
      nonce: null,
      fetchedAt: null,
      roundTripMs: null,
      evidenceHashes: {},
      notes: [],
      claimed: false,
      nonceFresh: false,
      results: [],
    })
  }
  const nonce = freshNonce()
  let evidence: CollectedEvidence
  switch (config.source) {
    case 'api':
      evidence = await collectFromApi(endpoint, inputs.dispatcher, inputs.model, nonce, inputs.timeoutMs ?? 30_000)
      break
    case 'files':
      evidence = collectFromFiles(config.files ?? {}, nonce, inputs.where)
      break
    default:
      evidence = await collectFromCli(config.source, nonce, mkdtempSync(join(tmpdir(), 'geopat-attest-')))
  }
  if (inputs.evidenceDir) keepEvidence(evidence, inputs.evidenceDir, `${safePathSegment(endpoint.label, 'endpoint')}${inputs.phase ? `-${inputs.phase}` : ''}`)
  const trust = config.trust ? loadTrustMaterial(config.trust, inputs.where) : NO_TRUST_MATERIAL
  const results = await verifyEvidence(evidence, trust, { allowedMeasurements: config.allowedMeasurements })
  return buildAttestationRecord({
    endpoint: endpoint.label,
    ...(inputs.phase ? { phase: inputs.phase } : {}),
    source: config.source,
    nonce,
    fetchedAt: evidence.fetchedAt,
    roundTripMs: evidence.roundTripMs,
    evidenceHashes: evidence.hashes,
    notes: evidence.notes,
    claimed: config.claimed,
    // Files a user brings were made for some other nonce: evidence, but not fresh.
    nonceFresh: config.source !== 'files',
    results,
  })
}

/** The evidence blobs themselves, beside the records whose hashes name them. */
function keepEvidence(evidence: CollectedEvidence, dir: string, stem: string): void {
  mkdirSync(dir, { recursive: true })
  if (evidence.snpReport) writeFileSync(pathInside(dir, `${stem}.snp-report.bin`), evidence.snpReport)
  if (evidence.vcekCert) writeFileSync(pathInside(dir, `${stem}.vcek.pem`), evidence.vcekCert)
  if (evidence.nvidiaToken) writeFileSync(pathInside(dir, `${stem}.nvidia-token.jwt`), evidence.nvidiaToken)
  if (evidence.nvidiaEvidence) writeFileSync(pathInside(dir, `${stem}.nvidia-evidence.json`), evidence.nvidiaEvidence)
  if (evidence.tdxQuote) writeFileSync(pathInside(dir, `${stem}.tdx-quote.bin`), evidence.tdxQuote)
}

/**
 * Whether the machine answering changed during a run: a measurement or a signing key that differs
 * between the evidence before and after. Returns the reason, or null when nothing changed (or
 * there is nothing to compare).
 */
export function swapBetween(before: AttestationRecord, after: AttestationRecord): string | null {
  const measurementsBefore = [...before.measurements].sort().join(',')
  const measurementsAfter = [...after.measurements].sort().join(',')
  if (before.measurements.length > 0 && after.measurements.length > 0 && measurementsBefore !== measurementsAfter) {
    return (
      `${after.endpoint}: the launch measurement changed during the run ` +
      `(${before.measurements[0]?.slice(0, 16)}… → ${after.measurements[0]?.slice(0, 16)}…)`
    )
  }
  for (const [kind, fingerprint] of Object.entries(before.keyFingerprints)) {
    const later = after.keyFingerprints[kind as keyof typeof after.keyFingerprints]
    if (later !== undefined && later !== fingerprint)
      return `${after.endpoint}: the ${kind} signing key changed during the run (${fingerprint.slice(0, 16)}… → ${later.slice(0, 16)}…)`
  }
  if (before.level !== 'none' && before.verdict !== 'no-evidence' && after.verdict === 'no-evidence')
    return `${after.endpoint}: evidence before the run, none after it`
  return null
}
