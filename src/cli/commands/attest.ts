import { join } from 'node:path'
import { Flags } from '@oclif/core'
import { attestEndpoint } from '../../attest/attest-endpoint.js'
import { createControlClient } from '../../client/endpoint.js'
import { startEndpoints } from '../../load/endpoints-setup.js'
import { makeRunId, prepareOutputDir, writeFileAtomic } from '../../io/output/files.js'
import { type AttestationRecord, attestationRecordSchema } from '../../io/schema/attestation.js'
import { loadYamlFile, parseWithSchema } from '../../io/schema/load-file.js'
import { type Scenario, scenarioSchema } from '../../io/schema/scenario.js'
import { GeopatCommand } from '../../util/base-command.js'
import { UserError } from '../../util/errors.js'

export default class Attest extends GeopatCommand {
  static override summary = 'Record and verify the attestation evidence of confidential endpoints'
  static override description = `Asks each endpoint for evidence bound to a fresh nonce (an attested API's GET /v1/attestation/report, snpguest or nvattest on this confidential VM, or files you bring), times the round trip, stores the evidence with its SHA-256, and verifies it offline with the trust anchors you supply: SEV-SNP report signature and ARK → ASK → VCEK chain, NVIDIA token against a JWKS (eat_nonce, overall result), TDX quote with its collateral, measurements against an allow-list. Each endpoint gets a level: none, claimed, evidence-recorded or verified, with the check that held it back.`

  static override examples = [
    '<%= config.bin %> attest --scenario scenarios/attested.yaml',
    '<%= config.bin %> attest --url https://llm.example.eu --ark ark.pem --ask ask.pem --jwks nras-jwks.json --allow 5f2a…',
  ]

  static override flags = {
    scenario: Flags.string({ description: 'scenario file: every endpoint, with its attest: block' }),
    url: Flags.string({ description: 'one endpoint (instead of --scenario)' }),
    label: Flags.string({ description: 'its label', default: 'endpoint' }),
    model: Flags.string({ description: 'model to name in the request (default: the first of /v1/models)' }),
    'api-key-env': Flags.string({ description: 'environment variable holding the API key' }),
    source: Flags.string({ options: ['api', 'snpguest', 'nvattest', 'files'], default: 'api', description: 'where evidence comes from' }),
    'snp-report': Flags.string({ description: '--source files: an SEV-SNP report (1,184 bytes)' }),
    'vcek-cert': Flags.string({ description: '--source files: its VCEK certificate (PEM)' }),
    'nvidia-token': Flags.string({ description: '--source files: an NVIDIA attestation token (JWT)' }),
    ark: Flags.string({ description: "trust anchor: AMD's ARK certificate (PEM, or AMD's cert_chain)" }),
    ask: Flags.string({ description: "AMD's ASK certificate (PEM)" }),
    jwks: Flags.string({ description: "NVIDIA's attestation signing keys (JWKS file)" }),
    'tdx-collateral': Flags.string({ description: 'TDX collateral (JSON, as dcap-qvl get-collateral writes it)' }),
    allow: Flags.string({ multiple: true, description: 'an allowed launch measurement (hex); repeat for several' }),
    claimed: Flags.boolean({ default: true, allowNo: true, description: 'the endpoint is said to be confidential (level claimed at least)' }),
    out: Flags.string({ description: 'output folder (default reports/<run-id>)' }),
  }

  async run(): Promise<{ records: AttestationRecord[] }> {
    const { flags } = await this.parse(Attest)
    if ((flags.scenario === undefined) === (flags.url === undefined)) throw new UserError('give either --scenario or --url, one of the two')
    const { scenario, source } = flags.scenario !== undefined ? { scenario: loadYamlFile(flags.scenario, scenarioSchema), source: flags.scenario } : { scenario: this.fromFlags(flags), source: 'flags' }
    const started = await startEndpoints(scenario, source, (line) => this.jsonEnabled() || this.log(line))
    const outDir = prepareOutputDir(flags.out ?? join('reports', makeRunId('attest')))
    const records: AttestationRecord[] = []
    try {
      for (const { endpoint, model } of started.prepared) {
        const dispatcher = createControlClient(endpoint, { connectTimeoutMs: scenario.timeouts.connectMs })
        try {
          records.push(await attestEndpoint({ endpoint, dispatcher, model, config: endpoint.config.attest, evidenceDir: join(outDir, 'attestation'), where: source }))
        } finally {
          await dispatcher.close()
        }
      }
    } finally {
      await started.close()
    }
    writeFileAtomic(join(outDir, 'attestation.json'), `${JSON.stringify({ records }, null, 2)}\n`)
    if (!this.jsonEnabled()) {
      for (const record of records) {
        this.log(`${record.endpoint}: ${record.level} (${record.verdict})${record.roundTripMs !== null ? ` · round trip ${record.roundTripMs.toFixed(1)} ms` : ''}`)
        this.log(`  ${record.levelReason}`)
        for (const [name, hash] of Object.entries(record.evidenceHashes)) this.log(`  ${name} sha256 ${hash}`)
        for (const check of record.checks) this.log(`  ${check.ok ? 'ok  ' : check.skipped ? 'skip' : 'FAIL'} ${check.evidence} ${check.name}: ${check.detail}`)
        for (const note of record.notes) this.log(`  note: ${note}`)
      }
      this.log(`attestation: ${join(outDir, 'attestation.json')}`)
    }
    return { records: records.map((r) => attestationRecordSchema.parse(r)) }
  }

  private fromFlags(flags: Record<string, unknown>): Scenario {
    const f = flags as { url: string; label: string; model?: string; 'api-key-env'?: string; source: string; 'snp-report'?: string; 'vcek-cert'?: string; 'nvidia-token'?: string; ark?: string; ask?: string; jwks?: string; 'tdx-collateral'?: string; allow?: string[]; claimed: boolean }
    const defined = <T extends Record<string, unknown>>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined))
    return parseWithSchema('flags', scenarioSchema, {
      endpoints: [
        defined({
          label: f.label,
          url: f.url,
          model: f.model,
          apiKeyEnv: f['api-key-env'],
          attest: defined({
            claimed: f.claimed,
            source: f.source,
            files: f.source === 'files' ? defined({ snpReport: f['snp-report'], vcekCert: f['vcek-cert'], nvidiaToken: f['nvidia-token'] }) : undefined,
            trust: defined({ arkCert: f.ark, askCert: f.ask, nvidiaJwks: f.jwks, tdxCollateral: f['tdx-collateral'] }),
            allowedMeasurements: f.allow ?? [],
          }),
        }),
      ],
      load: { requests: 1 },
    })
  }
}
