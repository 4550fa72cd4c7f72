import { loadYamlFile } from '../../io/schema/load-file.js'
import { type Scenario, scenarioSchema } from '../../io/schema/scenario.js'
import { UserError } from '../../util/errors.js'
import { type FlagValues, applyFlags, boolean, choice, defineFlags, repeated, string, validateWithFlags } from './table.js'

/** `geopat attest`'s flags: one endpoint and its attest: block (src/io/schema/scenario.ts, whose defaults hold). */
export const ATTEST_FLAGS = defineFlags({
  scenario: string({ description: 'scenario file: every endpoint, with its attest: block' }),
  url: string({ description: 'one endpoint (instead of --scenario)', path: 'endpoints.0.url' }),
  label: string({
    description: 'its label',
    path: 'endpoints.0.label',
    default: 'endpoint',
    defaultBecause: "an endpoint given by URL is named 'endpoint' in the records",
  }),
  model: string({ description: 'model to name in the request (default: the first of /v1/models)', path: 'endpoints.0.model' }),
  'api-key-env': string({ description: 'environment variable holding the API key', path: 'endpoints.0.apiKeyEnv' }),
  source: choice(['api', 'snpguest', 'nvattest', 'files'], { description: 'where evidence comes from (default api)', path: 'endpoints.0.attest.source' }),
  'snp-report': string({ description: '--source files: an SEV-SNP report (1,184 bytes)', path: 'endpoints.0.attest.files.snpReport' }),
  'vcek-cert': string({ description: '--source files: its VCEK certificate (PEM)', path: 'endpoints.0.attest.files.vcekCert' }),
  'nvidia-token': string({ description: '--source files: an NVIDIA attestation token (JWT)', path: 'endpoints.0.attest.files.nvidiaToken' }),
  ark: string({ description: "trust anchor: AMD's ARK certificate (PEM, or AMD's cert_chain)", path: 'endpoints.0.attest.trust.arkCert' }),
  ask: string({ description: "AMD's ASK certificate (PEM)", path: 'endpoints.0.attest.trust.askCert' }),
  jwks: string({ description: "NVIDIA's attestation signing keys (JWKS file)", path: 'endpoints.0.attest.trust.nvidiaJwks' }),
  'tdx-collateral': string({ description: 'TDX collateral (JSON, as dcap-qvl get-collateral writes it)', path: 'endpoints.0.attest.trust.tdxCollateral' }),
  allow: repeated((texts) => [...texts], {
    description: 'an allowed launch measurement (hex); repeat for several',
    path: 'endpoints.0.attest.allowedMeasurements',
  }),
  claimed: boolean({
    description: 'the endpoint is said to be confidential: level claimed at least (default on)',
    allowNo: true,
    path: 'endpoints.0.attest.claimed',
  }),
  out: string({ description: 'output folder (default reports/<run-id>)' }),
})

export type AttestFlagValues = FlagValues<typeof ATTEST_FLAGS>

/** The endpoints to attest: the scenario file's, or one from the flags. */
export function attestScenarioFromFlags(values: AttestFlagValues): { scenario: Scenario; source: string } {
  if ((values.scenario === undefined) === (values.url === undefined)) throw new UserError('give either --scenario or --url, one of the two')
  if (values.scenario !== undefined) return { scenario: loadYamlFile(values.scenario, scenarioSchema), source: values.scenario }
  const draft = applyFlags(ATTEST_FLAGS, values, { endpoints: [{ attest: {} }], load: { requests: 1 } })
  // Evidence files are read with --source files only.
  const attest = (draft.endpoints as Array<{ attest: Record<string, unknown> }>)[0]?.attest
  if (attest && values.source !== 'files') delete attest.files
  return { scenario: validateWithFlags(scenarioSchema, draft, { table: ATTEST_FLAGS, values, source: 'flags' }), source: 'flags' }
}
