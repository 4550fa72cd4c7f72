import { failed, passed, skipped } from './checks.js'
import type { EvidenceKind } from '../io/schema/attestation.js'
import type { Check } from './evidence-types.js'

/** Lower-case hex without a `0x` prefix, whitespace or colons: how measurements are compared and stored. */
export const normalizeHex = (value: string): string => value.trim().replace(/^0x/i, '').replace(/[\s:]/g, '').toLowerCase()

/**
 * The measurement-allow-list check: `measurement` (hex) must be one of `allowed` (hex, any case).
 * An empty allow-list means the workload is not pinned: the check is skipped (not ok), so the
 * evidence cannot reach `verified`. `label` names the measurement (MEASUREMENT, MRTD).
 */
export function checkMeasurementAllowList(evidence: EvidenceKind, label: string, measurement: string, allowed: readonly string[]): Check {
  const value = normalizeHex(measurement)
  if (allowed.length === 0)
    return skipped(evidence, 'measurement-allow-list', `no allowed measurements given (attest.allowedMeasurements): ${label} ${value} is not pinned`)
  return allowed.some((entry) => normalizeHex(entry) === value)
    ? passed(evidence, 'measurement-allow-list', `${label} ${value} is on the allow-list`)
    : failed(evidence, 'measurement-allow-list', `${label} ${value} is not on the allow-list (${allowed.length} allowed)`)
}
