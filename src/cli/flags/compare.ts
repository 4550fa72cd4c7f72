import { loadYamlFile } from '../../io/schema/load-file.js'
import { type Scenario, scenarioSchema } from '../../io/schema/scenario.js'
import { UserError } from '../../util/errors.js'
import * as parse from './parsers.js'
import { type FlagValues, applyFlags, boolean, choice, defineFlags, string, validateWithFlags, value } from './table.js'

/** `geopat compare`'s flags. Defaults are the schemas' (compare: src/io/schema/compare-config.ts). */
export const COMPARE_FLAGS = defineFlags({
  scenario: string({ description: 'scenario file with two or more endpoints and a compare: section' }),
  'url-a': string({ description: 'baseline endpoint URL (instead of --scenario)', path: 'endpoints.0.url' }),
  'label-a': string({
    description: 'baseline label',
    path: 'endpoints.0.label',
    default: 'A',
    defaultBecause: 'the arms of a comparison given by URL are A and B',
  }),
  'url-b': string({ description: 'endpoint compared with the baseline', path: 'endpoints.1.url' }),
  'label-b': string({ description: 'its label', path: 'endpoints.1.label', default: 'B', defaultBecause: 'the arms of a comparison given by URL are A and B' }),
  'api-key-env': string({ description: 'environment variable holding the API key of both URLs', path: 'endpoints.*.apiKeyEnv' }),
  aa: boolean({ description: 'also measure the baseline against itself (the A/A noise floor)', path: 'compare.aa' }),
  design: choice(['randomized', 'abba'], { description: 'order of the arms per round (default randomized)', path: 'compare.design' }),
  rounds: value(parse.integer, { description: 'rounds per operating point (default 5)', path: 'compare.rounds' }),
  'requests-per-block': value(parse.integer, { description: 'requests per arm per round (default 20)', path: 'compare.requestsPerBlock' }),
  concurrency: value(parse.integer, {
    description: 'one operating point at this concurrency (default: the scenario, or 1)',
    path: 'compare.operatingPoints',
    toScenario: (concurrency: number) => [{ label: `concurrency ${concurrency}`, concurrency }],
  }),
  probe: boolean({ description: 'run the front-end probe (autocannon GET /v1/models) on every endpoint', path: 'compare.probe', toScenario: () => ({}) }),
  'input-tokens': value(parse.lengthSpec, { description: 'prompt tokens (N or a distribution, as in bench)', path: 'input.inputTokens' }),
  'output-tokens': value(parse.lengthSpec, { description: 'output tokens (exact on every arm)', path: 'input.outputTokens' }),
  seed: value(parse.integer, { description: 'seed of prompts, block order and bootstrap', path: 'load.seed' }),
  out: string({ description: 'output folder (default reports/<run-id>); refused when it holds an earlier run', path: 'out' }),
  overwrite: boolean({ description: "with --out: replace geopat's files there (records, summaries, report) from an earlier run; other files are left alone" }),
  progress: boolean({ description: 'progress line on a terminal', allowNo: true, default: true }),
})

export type CompareFlagValues = FlagValues<typeof COMPARE_FLAGS>

/**
 * The scenario of `geopat compare`: the file's, or two endpoints from --url-a and --url-b; the
 * other flags override its fields either way (the endpoint flags only build the second kind).
 */
export function compareScenarioFromFlags(values: CompareFlagValues): { scenario: Scenario; source: string } {
  if (values.scenario) {
    if (values['url-a'] || values['url-b']) throw new UserError('give either --scenario or --url-a/--url-b')
    const { 'label-a': _a, 'label-b': _b, 'api-key-env': _key, ...overrides } = values
    const draft = applyFlags(
      COMPARE_FLAGS,
      overrides as CompareFlagValues,
      structuredClone(loadYamlFile(values.scenario, scenarioSchema)) as unknown as Record<string, unknown>,
    )
    return { scenario: validateScenario(draft, values, values.scenario), source: values.scenario }
  }
  if (!values['url-a'] || !values['url-b']) throw new UserError('give --scenario, or both --url-a and --url-b')
  const draft = applyFlags(COMPARE_FLAGS, values, { endpoints: [{}, {}], load: { requests: 1 } })
  return { scenario: validateScenario(draft, values, 'flags'), source: 'flags' }
}

/** A scenario without a compare: section compares with the schema's settings. */
function validateScenario(draft: Record<string, unknown>, values: CompareFlagValues, source: string): Scenario {
  draft.compare ??= {}
  return validateWithFlags(scenarioSchema, draft, { table: COMPARE_FLAGS, values, source })
}
