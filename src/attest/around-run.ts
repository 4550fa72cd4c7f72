import { join } from 'node:path'
import { createControlClient } from '../client/endpoint.js'
import type { PreparedEndpoint } from '../client/endpoint.js'
import { ATTESTATION_LEVELS, type AttestationRecord, type AttestationRun, attestationRunSchema } from '../io/schema/attestation.js'
import type { AttestEndpointInputs } from './attest-endpoint.js'

/**
 * Evidence before and after a run, for every endpoint of it: `before()` as the run starts,
 * `after()` once it has ended; the result says each endpoint's level for the whole run and flags
 * an endpoint whose measurement or key changed in between. When no endpoint has an attest: block
 * both do nothing and `after()` gives undefined (the summary then has no attestation section).
 */
export function attestAroundRun(prepared: readonly PreparedEndpoint[], outDir: string, where: string, log: (line: string) => void) {
  const before = new Map<string, AttestationRecord>()
  const endpoint = (label: string) => prepared.find((p) => p.endpoint.label === label)?.endpoint
  const take = async (phase: 'before' | 'after'): Promise<AttestationRecord[]> => {
    // The verifiers (Intel's DCAP library, JOSE, the collectors' child processes) load only for a run that attests.
    const { attestEndpoint } = await import('./attest-endpoint.js')
    return Promise.all(
      prepared.map(async ({ endpoint, model }) => {
        const dispatcher = createControlClient(endpoint, { connectTimeoutMs: 10_000 })
        try {
          const inputs: AttestEndpointInputs = {
            endpoint,
            dispatcher,
            model,
            config: endpoint.config.attest,
            phase,
            evidenceDir: join(outDir, 'attestation'),
            where,
          }
          return await attestEndpoint(inputs)
        } finally {
          await dispatcher.close()
        }
      }),
    )
  }
  const attesting = prepared.some((p) => p.endpoint.config.attest !== undefined)
  return {
    async before(): Promise<void> {
      if (!attesting) return
      for (const record of await take('before')) {
        before.set(record.endpoint, record)
        if (record.source !== null)
          log(
            `attestation ${record.endpoint} before the run: ` +
              `${record.level} (${record.verdict})${record.roundTripMs !== null ? `, ${record.roundTripMs.toFixed(1)} ms` : ''}`,
          )
      }
    },
    async after(): Promise<AttestationRun | undefined> {
      if (!attesting) return undefined
      const { swapBetween } = await import('./attest-endpoint.js')
      const records: AttestationRecord[] = []
      const endpoints: AttestationRun['endpoints'] = []
      for (const later of await take('after')) {
        const earlier = before.get(later.endpoint) as AttestationRecord
        records.push(earlier, later)
        const runLevel = levelForRun(earlier, later, swapBetween(earlier, later), Boolean(endpoint(later.endpoint)?.config.attest?.claimed))
        endpoints.push(runLevel)
        const swapReason = runLevel.swapReason
        if (later.source !== null)
          log(`attestation ${later.endpoint} after the run: ${later.level} (${later.verdict})${swapReason ? ` — SWAPPED: ${swapReason}` : ''}`)
      }
      return attestationRunSchema.parse({ records, endpoints })
    },
  }
}

/**
 * An endpoint's level and verdict for the whole run from its records before and after: the lower
 * level of the two, and `verified` only when both were. Evidence from two machines (a swap)
 * supports neither: at most what the scenario claims. `swapReason`: swapBetween's reading of the two.
 */
function levelForRun(earlier: AttestationRecord, later: AttestationRecord, swapReason: string | null, claimed: boolean): AttestationRun['endpoints'][number] {
  const level = ATTESTATION_LEVELS[Math.min(ATTESTATION_LEVELS.indexOf(earlier.level), ATTESTATION_LEVELS.indexOf(later.level))] as AttestationRecord['level']
  const verdict =
    earlier.verdict === 'verified' && later.verdict === 'verified' ? 'verified' : [earlier.verdict, later.verdict].includes('failed') ? 'failed' : later.verdict
  return {
    endpoint: later.endpoint,
    level: swapReason ? (claimed ? 'claimed' : 'none') : level,
    verdict,
    swapped: swapReason !== null,
    swapReason,
    roundTripMs: [earlier.roundTripMs, later.roundTripMs].filter((ms): ms is number => ms !== null),
  }
}
