import { Flags, type Interfaces } from '@oclif/core'
import type { SizingResult } from '../../io/schema/sizing.js'
import { GeopatCommand } from '../../util/base-command.js'
import { UserError } from '../../util/errors.js'
import { withFlagNames } from '../flags/option-errors.js'

const numberFlag = Flags.custom<number>({ parse: async (input) => (input.trim() === '' ? Number.NaN : Number(input)) })

export default class Size extends GeopatCommand {
  static override summary = 'Replicas and GPUs for a peak demand at an SLO, from measured goodput or the simulator'
  static override description = `Capacity per replica is the highest request rate at which the share of requests meeting every SLO (the attainment) stays at or above --attainment: read from a measured sweep (--from, geopat bench summaries run with --slo), or searched in the simulator's virtual time (--profile). Then the steady fleet: base = ⌈peak / (capacity × utilization)⌉ replicas, plus the spares needed for the survivors of a failure (one replica with one failure domain, one whole domain with several) to carry the peak at full capacity; the rollout surge beside it, paid only for --rollout-months. With prices: GPUs as the offer sells them (whole nodes only where the catalog row says soldBy node), the steady fleet's monthly cost, fleet $/Mtok at the demand (the fleet's cost / the tokens the average demand sends in a month) and $/Mtok at full load of one replica (the marginal figure, InferenceX's formula), each with the interval the capacity's interval implies.`

  static override examples = [
    '<%= config.bin %> size --profile h100-sxm-llama-3.1-8b-bf16 --workload chat --slo ttft=500,tpot=25 --peak-rps 120',
    '<%= config.bin %> size --from reports/20261124-101500-bench --peak-rps 120 --gpus-per-replica 1 --gpu-hour-price 2.95',
  ]

  static override flags = {
    'peak-rps': numberFlag({ description: 'peak demand, requests per second', required: true }),
    'average-rps': numberFlag({ description: "the month's average demand, requests per second (fleet $/Mtok divides by it; default: the peak, a lower bound on fleet $/Mtok)" }),
    growth: numberFlag({ description: 'demand growth per year, peak and average alike (0.3 = +30%): also gives the fleet and fleet $/Mtok in a year', default: 0 }),
    'average-to-peak': numberFlag({ description: 'the month\'s average ÷ its peak, in (0, 1] (instead of --average-rps)' }),
    from: Flags.string({ multiple: true, description: 'geopat bench run folder or summary.json (a sweep run with --slo); one sizing per endpoint' }),
    profile: Flags.string({ description: 'simulator profile to search instead (data/sim-profiles)' }),
    cc: Flags.boolean({ description: '--profile: confidential computing on' }),
    workload: Flags.string({ description: '--profile: request lengths from data/workloads (e.g. chat, sharegpt-like)' }),
    'input-tokens': Flags.string({ description: '--profile: prompt tokens, N or a distribution' }),
    'output-tokens': Flags.string({ description: '--profile: output tokens, N or a distribution' }),
    slo: Flags.string({ description: 'objectives every good request meets, e.g. ttft=500,tpot=25 (--from: must match the one measured)' }),
    attainment: numberFlag({ description: 'share of requests that must meet the SLO at capacity (a choice: match your SLA)', default: 0.95 }),
    utilization: numberFlag({ description: 'target utilization of each replica\'s capacity at peak (the reference range: 0.6–0.8)', default: 0.7 }),
    'failure-domains': Flags.integer({ description: 'failure domains (zones) the fleet is spread over; with several, it survives losing one', default: 1 }),
    'spare-per-domain': Flags.integer({ description: 'with one failure domain: replicas that may fail at once (1 = N+1; 0: none)', default: 1 }),
    surge: numberFlag({ description: 'rollout surge, fraction of the base replicas (Kubernetes maxSurge), paid only during rollouts', default: 0.25 }),
    'rollout-months': numberFlag({ description: 'months in which rollouts run: the surge is paid only then', default: 0 }),
    'gpus-per-replica': Flags.integer({ description: 'GPUs per replica (default: the profile\'s; --from: required)' }),
    'gpus-per-node': Flags.integer({ description: '--gpu-hour-price: the offer rents whole nodes of this many GPUs (default: GPU by GPU; catalog rows say it themselves)' }),
    price: Flags.string({ multiple: true, description: 'catalog row id(s) to cost the fleet with (geopat catalog list)' }),
    catalog: Flags.string({ multiple: true, description: 'your own catalog file(s), beside the built-in one (the freshest row of an id prices it)' }),
    fx: Flags.string({ multiple: true, description: 'your own FX file(s), beside the built-in one' }),
    'gpu-hour-price': numberFlag({ description: 'a price per GPU-hour to cost the fleet with (in --currency)' }),
    currency: Flags.string({ description: 'currency of prices and costs', default: 'USD' }),
    'power-w': numberFlag({ description: 'power per GPU under load, W (energy per token)' }),
    searches: Flags.integer({ description: '--profile: independent simulated searches (the interval)', default: 5 }),
    'sim-duration': numberFlag({ description: '--profile: simulated seconds per rate tried', default: 120 }),
    seed: Flags.integer({ description: 'seed of the simulated searches', default: 1 }),
    out: Flags.string({ description: 'output folder (default reports/<run-id>)' }),
  }

  async run(): Promise<SizingResult> {
    const { flags } = await this.parse(Size)
    checkSizeFlags(flags)
    const { parseLengthFlag } = await import('../../input/distributions.js')
    const { parseSloFlag } = await import('../../load/bench-config.js')
    const { sizeStepSchema } = await import('../../io/schema/scenario.js')
    const { runSize } = await import('../../app/size.js')
    const step = sizeStepSchema.parse({
      peakRequestsPerS: flags['peak-rps'],
      ...(flags['average-rps'] !== undefined ? { averageRequestsPerS: flags['average-rps'] } : {}),
      ...(flags['average-to-peak'] !== undefined ? { averageToPeak: flags['average-to-peak'] } : {}),
      growthPerYear: flags.growth,
      attainment: flags.attainment,
      targetUtilization: flags.utilization,
      failureDomains: flags['failure-domains'],
      sparePerFailureDomain: flags['spare-per-domain'],
      surgeFraction: flags.surge,
      rolloutMonths: flags['rollout-months'],
      searches: flags.searches,
      simulatedSeconds: flags['sim-duration'],
      currency: flags.currency,
    })
    const { result, file } = await withFlagNames(FLAG_OF_OPTION, () =>
      runSize({
        step,
        ...(flags.from !== undefined ? { from: flags.from } : {}),
        ...(flags.profile !== undefined ? { profile: flags.profile } : {}),
        cc: flags.cc,
        ...(flags.workload !== undefined ? { workload: flags.workload } : {}),
        ...(flags['input-tokens'] ? { inputTokens: parseLengthFlag(flags['input-tokens']) } : {}),
        ...(flags['output-tokens'] ? { outputTokens: parseLengthFlag(flags['output-tokens']) } : {}),
        ...(flags.slo !== undefined ? { slo: parseSloFlag(flags.slo) } : {}),
        ...(flags['gpus-per-replica'] !== undefined ? { gpusPerReplica: flags['gpus-per-replica'] } : {}),
        price: flags.price ?? [],
        catalogFiles: flags.catalog ?? [],
        fxFiles: flags.fx ?? [],
        ...(flags['gpu-hour-price'] !== undefined ? { gpuHourPrice: flags['gpu-hour-price'] } : {}),
        ...(flags['gpus-per-node'] !== undefined ? { gpusPerNode: flags['gpus-per-node'] } : {}),
        ...(flags['power-w'] !== undefined ? { powerWPerGpu: flags['power-w'] } : {}),
        seed: flags.seed,
        ...(flags.out !== undefined ? { outDir: flags.out } : {}),
      }),
    )
    if (!this.jsonEnabled()) {
      const { formatSizing } = await import('../render/sizing.js')
      this.log(formatSizing(result))
      this.log(`sizing: ${file}`)
    }
    return result
  }
}

type SizeFlags = Interfaces.InferredFlags<typeof Size.flags>

/** Each numeric flag's rule: the value given must hold it (one line naming the flag otherwise). */
const NUMBER_RULES: Array<[name: keyof SizeFlags, holds: (value: number, flags: SizeFlags) => boolean, rule: (flags: SizeFlags) => string]> = [
  ['peak-rps', (v) => v > 0, () => 'a number > 0'],
  ['attainment', (v) => v > 0 && v <= 1, () => 'in (0, 1]'],
  ['utilization', (v) => v > 0 && v <= 1, () => 'in (0, 1]'],
  ['failure-domains', (v) => v >= 1, () => 'an integer >= 1'],
  ['spare-per-domain', (v) => v >= 0, () => 'an integer >= 0'],
  ['surge', (v) => v >= 0 && v <= 1, () => 'in [0, 1]'],
  ['rollout-months', (v) => v >= 0, () => 'a number of months >= 0'],
  ['average-rps', (v, flags) => v > 0 && v <= flags['peak-rps'], (flags) => `> 0 and at most --peak-rps (${flags['peak-rps']})`],
  ['growth', (v) => v >= 0 && v <= 10, () => 'a fraction from 0 to 10 (0.3 = +30% a year)'],
  ['average-to-peak', (v) => v > 0 && v <= 1, () => 'in (0, 1]'],
  ['gpus-per-replica', (v) => v >= 1, () => 'an integer >= 1'],
  ['gpus-per-node', (v) => v >= 1, () => 'an integer >= 1'],
  ['gpu-hour-price', (v) => v >= 0, () => 'a number >= 0'],
  ['power-w', (v) => v > 0, () => 'a number > 0'],
  ['searches', (v) => v >= 1 && v <= 30, () => 'an integer from 1 to 30'],
  ['sim-duration', (v) => v >= 10, () => 'a number of seconds >= 10'],
]

/** The flags' own rules and how they combine, before anything is read. */
function checkSizeFlags(flags: SizeFlags): void {
  for (const [name, holds, rule] of NUMBER_RULES) {
    const value = flags[name]
    if (typeof value === 'number' && !holds(value, flags)) throw new UserError(`--${name}: must be ${rule(flags)}`)
  }
  if (flags['average-rps'] !== undefined && flags['average-to-peak'] !== undefined) throw new UserError('--average-rps, --average-to-peak: give one of the two, not both')
  if (flags['gpus-per-node'] !== undefined && flags['gpu-hour-price'] === undefined) throw new UserError('--gpus-per-node: only with --gpu-hour-price (a catalog row says how its offer is sold)')
  if (!/^[A-Z]{3}$/.test(flags.currency)) throw new UserError('--currency: must be a three-letter ISO 4217 code such as USD or EUR')
  if ((flags.from === undefined) === (flags.profile === undefined)) throw new UserError('give either --from (measured sweeps) or --profile (the simulator), one of the two')
}

/** The flag of each option of the sizing (SizeRequest), for its one-line errors. */
const FLAG_OF_OPTION: Record<string, string> = { gpusPerReplica: 'gpus-per-replica' }
