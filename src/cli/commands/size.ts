import { join } from 'node:path'
import { Flags } from '@oclif/core'
import { loadCatalog } from '../../pricing/catalog.js'
import { type CapacitySource, type GpuHourPrice, gpuHourPriceFromCatalog, readBenchSummary, runSizing, runsByEndpoint } from '../../sizing/run.js'
import { parseLengthFlag } from '../../input/distributions.js'
import { slo as parseSlo } from '../flags/parsers.js'
import { parseFlag } from '../flags/table.js'
import { formatSizing } from '../../io/output/sizing-format.js'
import { makeRunId, prepareOutputDir, writeFileAtomic } from '../../io/output/files.js'
import type { SizingResult } from '../../io/schema/sizing.js'
import { loadProfile } from '../../io/schema/sim-profile.js'
import { loadWorkload } from '../../sim/workload.js'
import { GeopatCommand } from '../../util/base-command.js'
import { UserError } from '../../util/errors.js'

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
    const check = (name: string, value: number | undefined, holds: (v: number) => boolean, rule: string): void => {
      if (value !== undefined && !holds(value)) throw new UserError(`--${name}: must be ${rule}`)
    }
    check('peak-rps', flags['peak-rps'], (v) => v > 0, 'a number > 0')
    check('attainment', flags.attainment, (v) => v > 0 && v <= 1, 'in (0, 1]')
    check('utilization', flags.utilization, (v) => v > 0 && v <= 1, 'in (0, 1]')
    check('failure-domains', flags['failure-domains'], (v) => v >= 1, 'an integer >= 1')
    check('spare-per-domain', flags['spare-per-domain'], (v) => v >= 0, 'an integer >= 0')
    check('surge', flags.surge, (v) => v >= 0 && v <= 1, 'in [0, 1]')
    check('rollout-months', flags['rollout-months'], (v) => v >= 0, 'a number of months >= 0')
    check('average-rps', flags['average-rps'], (v) => v > 0 && v <= flags['peak-rps'], `> 0 and at most --peak-rps (${flags['peak-rps']})`)
    check('growth', flags.growth, (v) => v >= 0 && v <= 10, 'a fraction from 0 to 10 (0.3 = +30% a year)')
    check('average-to-peak', flags['average-to-peak'], (v) => v > 0 && v <= 1, 'in (0, 1]')
    if (flags['average-rps'] !== undefined && flags['average-to-peak'] !== undefined) throw new UserError('--average-rps, --average-to-peak: give one of the two, not both')
    if (flags['gpus-per-node'] !== undefined && flags['gpu-hour-price'] === undefined) throw new UserError('--gpus-per-node: only with --gpu-hour-price (a catalog row says how its offer is sold)')
    check('gpus-per-replica', flags['gpus-per-replica'], (v) => v >= 1, 'an integer >= 1')
    check('gpus-per-node', flags['gpus-per-node'], (v) => v >= 1, 'an integer >= 1')
    check('gpu-hour-price', flags['gpu-hour-price'], (v) => v >= 0, 'a number >= 0')
    check('power-w', flags['power-w'], (v) => v > 0, 'a number > 0')
    check('searches', flags.searches, (v) => v >= 1 && v <= 30, 'an integer from 1 to 30')
    check('sim-duration', flags['sim-duration'], (v) => v >= 10, 'a number of seconds >= 10')
    if (!/^[A-Z]{3}$/.test(flags.currency)) throw new UserError('--currency: must be a three-letter ISO 4217 code such as USD or EUR')
    if ((flags.from === undefined) === (flags.profile === undefined)) throw new UserError('give either --from (measured sweeps) or --profile (the simulator), one of the two')

    let slo = flags.slo !== undefined ? parseFlag('slo', parseSlo, flags.slo) : undefined
    const sources: CapacitySource[] = []
    if (flags.from) {
      if (flags['gpus-per-replica'] === undefined) throw new UserError('--gpus-per-replica: required with --from (a summary does not say how many GPUs served it)')
      for (const path of flags.from) {
        const { file, summary } = readBenchSummary(path)
        for (const [label, runs] of runsByEndpoint(summary)) {
          const measuredSlo = runs.find((run) => run.goodput !== null)?.goodput?.slo
          if (!measuredSlo) throw new UserError(`${file}: endpoint ${label} was run without an SLO: re-run geopat bench with --slo to size from it`)
          if (slo !== undefined && JSON.stringify(slo) !== JSON.stringify(measuredSlo)) {
            throw new UserError(`--slo ${flags.slo}: ${file} measured goodput at ${describeSlo(measuredSlo)}; size at that SLO or re-run the sweep`)
          }
          slo ??= measuredSlo
          sources.push({ kind: 'measured', label, runs, file, gpusPerReplica: flags['gpus-per-replica'] })
        }
      }
    } else {
      if (slo === undefined) throw new UserError('--slo: required with --profile, e.g. --slo ttft=500,tpot=25')
      const profile = loadProfile(flags.profile as string)
      if (flags.cc && !profile.confidential) throw new UserError(`--cc: profile ${profile.name} has no confidential-computing settings`)
      const workload = flags.workload ? loadWorkload(flags.workload) : undefined
      sources.push({
        kind: 'simulated',
        label: `${profile.name}${flags.cc ? ' (CC)' : ''}`,
        profile,
        confidential: flags.cc ?? false,
        inputTokens: flags['input-tokens'] ? parseLengthFlag(flags['input-tokens']) : (workload?.inputTokens ?? 512),
        outputTokens: flags['output-tokens'] ? parseLengthFlag(flags['output-tokens']) : (workload?.outputTokens ?? 128),
        gpusPerReplica: flags['gpus-per-replica'] ?? profile.gpu.count,
      })
    }
    const prices: GpuHourPrice[] = []
    if (flags.price) {
      const catalog = loadCatalog({ files: flags.catalog ?? [], fxFiles: flags.fx ?? [] })
      for (const id of flags.price) prices.push(gpuHourPriceFromCatalog(catalog, id, flags.currency, `--price ${id}`))
    }
    if (flags['gpu-hour-price'] !== undefined) {
      const perNode = flags['gpus-per-node']
      prices.push({
        catalogRow: 'command line',
        provider: '(given)',
        region: '-',
        sovereignty: '-',
        currency: flags.currency,
        pricePerGpuHour: flags['gpu-hour-price'],
        sale: perNode !== undefined ? { soldBy: 'node', gpusPerNode: perNode } : { soldBy: 'gpu', gpusPerNode: 1 },
      })
    }
    const outDir = prepareOutputDir(flags.out ?? join('reports', makeRunId('size')))
    const result = await runSizing({
      peakRequestsPerS: flags['peak-rps'],
      ...(flags['average-rps'] !== undefined ? { averageRequestsPerS: flags['average-rps'] } : {}),
      ...(flags['average-to-peak'] !== undefined ? { averageToPeak: flags['average-to-peak'] } : {}),
      growthPerYear: flags.growth,
      sources,
      slo: slo ?? {},
      attainment: flags.attainment,
      policy: {
        targetUtilization: flags.utilization,
        failureDomains: flags['failure-domains'],
        sparePerFailureDomain: flags['spare-per-domain'],
        surgeFraction: flags.surge,
        rolloutMonths: flags['rollout-months'],
      },
      prices,
      ...(flags['power-w'] !== undefined ? { powerWPerGpu: flags['power-w'] } : {}),
      simulation: { searches: flags.searches, durationS: flags['sim-duration'], seed: flags.seed },
    })
    writeFileAtomic(join(outDir, 'sizing.json'), `${JSON.stringify(result, null, 2)}\n`)
    if (!this.jsonEnabled()) {
      this.log(formatSizing(result))
      this.log(`sizing: ${join(outDir, 'sizing.json')}`)
    }
    return result
  }
}

function describeSlo(slo: { ttftMs?: number; tpotMs?: number; e2eMs?: number }): string {
  return Object.entries(slo).map(([key, value]) => `${key.replace(/Ms$/, '')}=${value}`).join(',') || '(none)'
}
