import type { SizeRequest } from '../../app/size.js'
import { sizeStepSchema } from '../../io/schema/scenario.js'
import type { SizingResult } from '../../io/schema/sizing.js'
import { withFlagTable } from '../flag-table-command.js'
import { UserError } from '../../util/errors.js'
import { withFlagNames } from '../flags/option-errors.js'
import * as parse from '../flags/parsers.js'
import { texts } from '../flags/parsers.js'
import { withSchemaDefaults } from '../flags/schema-defaults.js'
import { SESSION_ONLY_FLAGS, SIZE_SESSION_FLAGS, TRACE_ONLY_FLAGS } from '../flags/size.js'
import { applyFlags, boolean, defineFlags, field, type FlagValues, repeated, string, validateWithFlags, value } from '../flags/table.js'

/**
 * `geopat size`'s flags: each sets a field of the sizing request (SizeRequest); `step.*` is the
 * scenario's size: section, whose schema holds the ranges and the defaults, which --help shows
 * (searches: 3, as in a scenario file; the command line said 5 before #19).
 */
const SIZE_FLAGS = withSchemaDefaults(
  defineFlags({
    'peak-rps': value(parse.number, { description: 'peak demand, requests per second', required: true, path: 'step.peakRequestsPerS' }),
    'average-rps': field(
      parse.number,
      'step.averageRequestsPerS',
      "the month's average demand, requests per second (fleet $/Mtok divides by it; default: the peak, a lower bound on fleet $/Mtok)",
    ),
    growth: field(
      parse.number,
      'step.growthPerYear',
      'demand growth per year, peak and average alike (0.3 = +30%): also gives the fleet and fleet $/Mtok in a year',
    ),
    'average-to-peak': field(parse.number, 'step.averageToPeak', "the month's average ÷ its peak, in (0, 1] (instead of --average-rps)"),
    from: repeated(texts, { description: 'geopat bench run folder or summary.json (a sweep run with --slo); one sizing per endpoint', path: 'from' }),
    profile: string({ description: 'simulator profile to search instead (data/sim-profiles)', path: 'profile' }),
    cc: boolean({ description: '--profile: confidential computing on', path: 'cc' }),
    workload: string({ description: '--profile: request lengths from data/workloads (e.g. chat, sharegpt-like)', path: 'workload' }),
    'input-tokens': field(parse.lengthSpec, 'inputTokens', '--profile: prompt tokens, N or a distribution'),
    'output-tokens': field(parse.lengthSpec, 'outputTokens', '--profile: output tokens, N or a distribution'),
    ...SIZE_SESSION_FLAGS,
    slo: field(parse.slo, 'slo', 'objectives every good request meets, e.g. ttft=500,tpot=25 (--from: must match the one measured)'),
    attainment: field(parse.number, 'step.attainment', 'share of requests that must meet the SLO at capacity (a choice: match your SLA)'),
    utilization: field(parse.number, 'step.targetUtilization', "target utilization of each replica's capacity at peak (the reference range: 0.6–0.8)"),
    'failure-domains': field(parse.integer, 'step.failureDomains', 'failure domains (zones) the fleet is spread over; with several, it survives losing one'),
    'spare-per-domain': field(parse.integer, 'step.sparePerFailureDomain', 'with one failure domain: replicas that may fail at once (1 = N+1; 0: none)'),
    surge: field(parse.number, 'step.surgeFraction', 'rollout surge, fraction of the base replicas (Kubernetes maxSurge), paid only during rollouts'),
    'rollout-months': field(parse.number, 'step.rolloutMonths', 'months in which rollouts run: the surge is paid only then'),
    'gpus-per-replica': field(parse.integer, 'gpusPerReplica', "GPUs per replica (default: the profile's; --from: required)"),
    'gpus-per-node': field(
      parse.integer,
      'gpusPerNode',
      '--gpu-hour-price: the offer rents whole nodes of this many GPUs (default: GPU by GPU; catalog rows say it themselves)',
    ),
    price: repeated(texts, { description: 'catalog row id(s) to cost the fleet with (geopat catalog list)', path: 'price' }),
    catalog: repeated(texts, { description: 'your own catalog file(s), beside the built-in one (the freshest row of an id prices it)', path: 'catalogFiles' }),
    fx: repeated(texts, { description: 'your own FX file(s), beside the built-in one', path: 'fxFiles' }),
    'gpu-hour-price': field(parse.number, 'gpuHourPrice', 'a price per GPU-hour to cost the fleet with (in --currency)'),
    currency: string({ description: 'currency of prices and costs', path: 'step.currency' }),
    'power-w': field(parse.number, 'powerWPerGpu', 'power per GPU under load, W (energy per token)'),
    searches: field(parse.integer, 'step.searches', '--profile: independent simulated searches (the interval)'),
    'sim-duration': field(parse.number, 'step.simulatedSeconds', '--profile: simulated seconds per rate tried'),
    seed: value(parse.integer, { description: 'seed of the simulated searches', default: '1' }),
    out: string({ description: 'output folder (default reports/<run-id>)', path: 'outDir' }),
  }),
  'step.',
  sizeStepSchema,
)
type SizeFlags = FlagValues<typeof SIZE_FLAGS>

export default class Size extends withFlagTable(SIZE_FLAGS) {
  static override summary = 'Replicas and GPUs for a peak demand at an SLO, from measured goodput or the simulator'
  static override description =
    'Capacity per replica is the highest request rate at which the share of requests meeting every SLO (the ' +
    'attainment) stays at or above --attainment: read from a measured sweep (--from, geopat bench summaries run ' +
    `with --slo), or searched in the simulator's virtual time (--profile). Then the steady fleet: base = ⌈peak / ` +
    '(capacity × utilization)⌉ replicas, plus the spares needed for the survivors of a failure (one replica with ' +
    'one failure domain, one whole domain with several) to carry the peak at full capacity; the rollout surge ' +
    'beside it, paid only for --rollout-months. With prices: GPUs as the offer sells them (whole nodes only where ' +
    `the catalog row says soldBy node), the steady fleet's monthly cost, fleet $/Mtok at the demand (the fleet's ` +
    'cost / the tokens the average demand sends in a month) and $/Mtok at full load of one replica (the marginal ' +
    `figure, InferenceX's formula), each with the interval the capacity's interval implies.`

  static override examples = [
    '<%= config.bin %> size --profile h100-sxm-llama-3.1-8b-bf16 --workload chat --slo ttft=500,tpot=25 --peak-rps 120',
    '<%= config.bin %> size --from reports/20261124-101500-bench --peak-rps 120 --gpus-per-replica 1 --gpu-hour-price 2.95',
  ]

  protected async execute(values: FlagValues<typeof SIZE_FLAGS>): Promise<SizingResult> {
    checkSizeFlags(values)
    const { z } = await import('zod')
    const { runSize } = await import('../../app/size.js')
    const draft = applyFlags(SIZE_FLAGS, values, { step: {}, seed: values.seed })
    const { sessionConfigSchema } = await import('../../io/schema/session.js')
    const { traceConfigSchema } = await import('../../io/schema/trace.js')
    const schema = z.object({ step: sizeStepSchema, sessions: sessionConfigSchema.optional(), trace: traceConfigSchema.optional() })
    const { step, sessions, trace } = validateWithFlags(schema, draft, { table: SIZE_FLAGS, values, source: 'flags' })
    const request = { ...(draft as Omit<SizeRequest, 'step'>), step, ...(sessions ? { sessions } : {}), ...(trace ? { trace } : {}) }
    const { result, file } = await withFlagNames(SIZE_FLAGS, () => runSize(request))
    if (!this.jsonEnabled()) {
      const { formatSizing } = await import('../render/sizing.js')
      this.log(formatSizing(result))
      this.log(`sizing: ${file}`)
    }
    return result
  }
}

/**
 * The rules the sizing schema does not hold (flags outside the size: section, and the average's
 * bound in the peak's terms): the value given must hold its rule, or one line names the flag.
 */
const NUMBER_RULES: Array<[name: keyof SizeFlags, holds: (value: number, flags: SizeFlags) => boolean, rule: (flags: SizeFlags) => string]> = [
  ['average-rps', (v, flags) => v > 0 && v <= flags['peak-rps'], (flags) => `> 0 and at most --peak-rps (${flags['peak-rps']})`],
  ['average-to-peak', (v) => v > 0 && v <= 1, () => 'in (0, 1]'],
  ['gpus-per-replica', (v) => v >= 1, () => 'an integer >= 1'],
  ['gpus-per-node', (v) => v >= 1, () => 'an integer >= 1'],
  ['gpu-hour-price', (v) => v >= 0, () => 'a number >= 0'],
  ['power-w', (v) => v > 0, () => 'a number > 0'],
]

/** The flags' own rules and how they combine, before anything is read (the schema checks the size: fields after). */
function checkSizeFlags(flags: SizeFlags): void {
  for (const [name, holds, rule] of NUMBER_RULES) {
    const given = flags[name]
    if (typeof given === 'number' && !holds(given, flags)) throw new UserError(`--${name}: must be ${rule(flags)}`)
  }
  if (flags['average-rps'] !== undefined && flags['average-to-peak'] !== undefined)
    throw new UserError('--average-rps, --average-to-peak: give one of the two, not both')
  if (flags['gpus-per-node'] !== undefined && flags['gpu-hour-price'] === undefined)
    throw new UserError('--gpus-per-node: only with --gpu-hour-price (a catalog row says how its offer is sold)')
  if ((flags.from === undefined) === (flags.profile === undefined))
    throw new UserError('give either --from (measured sweeps) or --profile (the simulator), one of the two')
  for (const name of SESSION_ONLY_FLAGS)
    if (flags[name] !== undefined && flags.turns === undefined) throw new UserError(`--${name}: only with --turns (a session mix)`)
  for (const name of TRACE_ONLY_FLAGS) if (flags[name] !== undefined && flags.trace === undefined) throw new UserError(`--${name}: only with --trace`)
  if (flags.trace !== undefined && (flags.turns !== undefined || flags['input-tokens'] !== undefined || flags.workload !== undefined))
    throw new UserError('--trace: the trace gives every request its lengths: drop --turns, --input-tokens and --workload')
  for (const name of ['turns', 'trace', 'prefix-caching'] as const)
    if (flags[name] !== undefined && flags.profile === undefined)
      throw new UserError(`--${name}: only with --profile (measured sweeps carry their own traffic)`)
}
