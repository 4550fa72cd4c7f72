import type { AttestationRecord } from '../../io/schema/attestation.js'

/** `geopat attest`'s lines per endpoint: level and verdict, why, evidence hashes, each check and note. */
export function formatAttestationRecord(record: AttestationRecord): string[] {
  return [
    `${record.endpoint}: ${record.level} (${record.verdict})${record.roundTripMs !== null ? ` · round trip ${record.roundTripMs.toFixed(1)} ms` : ''}`,
    `  ${record.levelReason}`,
    ...Object.entries(record.evidenceHashes).map(([name, hash]) => `  ${name} sha256 ${hash}`),
    ...record.checks.map((check) => `  ${check.ok ? 'ok  ' : check.skipped ? 'skip' : 'FAIL'} ${check.evidence} ${check.name}: ${check.detail}`),
    ...record.notes.map((note) => `  note: ${note}`),
  ]
}
