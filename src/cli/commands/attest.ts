import type { AttestationRecord } from '../../io/schema/attestation.js'
import { withFlagTable } from '../flag-table-command.js'
import { ATTEST_FLAGS, attestScenarioFromFlags } from '../flags/attest.js'
import type { FlagValues } from '../flags/table.js'
import { formatAttestationRecord } from '../render/attestation.js'

export default class Attest extends withFlagTable(ATTEST_FLAGS) {
  static override summary = 'Record and verify the attestation evidence of confidential endpoints'
  static override description =
    `Asks each endpoint for evidence bound to a fresh nonce (an attested API's GET /v1/attestation/report, snpguest or ` +
    'nvattest on this confidential VM, or files you bring), times the round trip, stores the evidence with its ' +
    'SHA-256, and verifies it offline with the trust anchors you supply: SEV-SNP report signature and ARK → ASK → ' +
    'VCEK chain, NVIDIA token against a JWKS (eat_nonce, overall result), TDX quote with its collateral, ' +
    'measurements against an allow-list. Each endpoint gets a level: none, claimed, evidence-recorded or ' +
    'verified, with the check that held it back.'

  static override examples = [
    '<%= config.bin %> attest --scenario scenarios/attested.yaml',
    '<%= config.bin %> attest --url https://llm.example.eu --ark ark.pem --ask ask.pem --jwks nras-jwks.json --allow 5f2a…',
  ]

  protected async execute(values: FlagValues<typeof ATTEST_FLAGS>): Promise<{ records: AttestationRecord[] }> {
    const { scenario, source } = attestScenarioFromFlags(values)
    const { runAttest } = await import('../../app/attest.js')
    const log = (line: string): void => void (this.jsonEnabled() || this.log(line))
    const { records, file } = await runAttest({ scenario, source, log, ...(values.out !== undefined ? { outDir: values.out } : {}) })
    for (const record of records) for (const line of formatAttestationRecord(record)) log(line)
    log(`attestation: ${file}`)
    return { records }
  }
}
