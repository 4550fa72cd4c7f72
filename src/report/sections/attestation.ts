import type { AttestationRun } from '../../io/schema/attestation.js'
import type { ReportInputs } from '../inputs.js'
import { type Table, type Tone, m, n, table } from '../model.js'

const TONE: Record<string, Tone> = { verified: 'good', 'evidence-recorded': null, claimed: 'warn', none: 'warn' }

/**
 * Each endpoint's attestation level for its run (the lower of before and after), the verdict, the
 * evidence hashes, the round trip and whether it was swapped; and where a run carried no attest:
 * block, the plain statement that nothing in it shows the endpoints to be confidential.
 */
export function attestationTable(inputs: ReportInputs): Table {
  const rows: Array<{ cells: string[]; tone: Tone }> = []
  const runs: Array<{ file: string; attestation: AttestationRun | undefined; endpoints: string[] }> = [
    ...inputs.bench.map(({ data, file }) => ({
      file: file.path,
      attestation: data.attestation,
      endpoints: [...new Set(data.runs.map((r) => r.endpoint.label))],
    })),
    ...inputs.compare.map(({ data, file }) => ({
      file: file.path,
      attestation: data.attestation,
      endpoints: [...new Set(data.operatingPoints.flatMap((p) => p.arms.map((a) => a.label)))],
    })),
  ]
  for (const run of runs) {
    if (!run.attestation) {
      for (const endpoint of run.endpoints) rows.push({ cells: [endpoint, 'none', 'no attest: block', '–', '–', 'no', run.file], tone: 'warn' })
      continue
    }
    for (const endpoint of run.attestation.endpoints) {
      const records = run.attestation.records.filter((r) => r.endpoint === endpoint.endpoint)
      const reason = records.map((r) => r.levelReason).find((text) => text.length > 0) ?? ''
      const hashes = [...new Set(records.flatMap((r) => Object.entries(r.evidenceHashes).map(([name, hash]) => `${name} ${hash.slice(0, 16)}…`)))].join('; ')
      rows.push({
        cells: [
          endpoint.endpoint,
          endpoint.level,
          `${endpoint.verdict}${reason ? `: ${reason}` : ''}`,
          hashes || '–',
          endpoint.roundTripMs.length > 0 ? endpoint.roundTripMs.map((ms) => ms.toFixed(1)).join(' / ') : '–',
          endpoint.swapped ? `yes: ${endpoint.swapReason}` : 'no',
          run.file,
        ],
        tone: endpoint.swapped ? 'bad' : (TONE[endpoint.level] ?? null),
      })
    }
  }
  return table(
    "Attestation: what is known about each endpoint's confidentiality",
    ['Endpoint', 'Level', 'Verdict', m('Evidence (SHA-256)'), n('Round trip before / after (ms)'), 'Swapped during the run', m('From')],
    rows,
    'Levels: verified (signatures, certificate chain, nonce binding and measurements checked against your trust anchors), ' +
      'evidence-recorded (fresh evidence stored, not fully verified), claimed (only the scenario says so, or a check failed), none. ' +
      'A comparison of "confidential" options compares what was attested, not what was claimed.',
  )
}
