import { join } from 'node:path'
import { attestEndpoint } from '../attest/attest-endpoint.js'
import { createControlClient } from '../client/endpoint.js'
import { makeRunId, prepareOutputDir, writeFileAtomic } from '../io/output/files.js'
import { type AttestationRecord, attestationRecordSchema } from '../io/schema/attestation.js'
import type { Scenario } from '../io/schema/scenario.js'
import { startEndpoints } from '../load/endpoints-setup.js'

export interface AttestOptions {
  scenario: Scenario
  /** Where the scenario came from ("flags" or a file path), for messages. */
  source: string
  /** Default: reports/<run-id>. */
  outDir?: string
  log: (line: string) => void
}

export interface AttestResult {
  records: AttestationRecord[]
  /** attestation.json, with the evidence files beside it in attestation/. */
  file: string
}

/**
 * `geopat attest`: asks every endpoint for evidence bound to a fresh nonce, stores it with its
 * hash and verifies it offline; writes attestation.json.
 */
export async function runAttest(options: AttestOptions): Promise<AttestResult> {
  const { scenario, source } = options
  const started = await startEndpoints(scenario, source, options.log)
  const outDir = prepareOutputDir(options.outDir ?? join('reports', makeRunId('attest')))
  const records: AttestationRecord[] = []
  try {
    for (const { endpoint, model } of started.prepared) {
      const dispatcher = createControlClient(endpoint, { connectTimeoutMs: scenario.timeouts.connectMs })
      try {
        records.push(
          await attestEndpoint({ endpoint, dispatcher, model, config: endpoint.config.attest, evidenceDir: join(outDir, 'attestation'), where: source }),
        )
      } finally {
        await dispatcher.close()
      }
    }
  } finally {
    await started.close()
  }
  const file = join(outDir, 'attestation.json')
  writeFileAtomic(file, `${JSON.stringify({ records }, null, 2)}\n`)
  return { records: records.map((r) => attestationRecordSchema.parse(r)), file }
}
