import { existsSync, statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { Flags } from '@oclif/core'
import YAML from 'yaml'
import { writeFileAtomic } from '../../../io/output/files.js'
import { listProfiles, loadProfile } from '../../../io/schema/sim-profile.js'
import { fitProfile } from '../../../sim/fit/fit.js'
import { formatFitResult } from '../../render/sim-fit.js'
import { readMeasuredSweep } from '../../../sim/fit/operating-points.js'
import { FITTABLE_PARAMETERS } from '../../../sim/fit/parameters.js'
import { GeopatCommand } from '../../../util/base-command.js'
import { UserError } from '../../../util/errors.js'

export default class SimFit extends GeopatCommand {
  static override summary = "Fit a simulator profile's timing parameters to a measured bench sweep of your endpoint"
  static override description = `Reads a geopat bench --profile sweep run folder (summary.json, records.jsonl, and metrics.jsonl where bench --scrape-metrics kept the endpoint's /metrics), simulates every step in virtual time with the measured requests' lengths and send times, and fits the base profile's timing parameters by bounded least squares (Levenberg-Marquardt, ml-levenberg-marquardt) on the relative errors of TTFT, TPOT, output throughput, the median token gap, TTFT against prompt length at the synchronous step and the server's running requests. Parameters that enter the step time as a sum with one it fits (the scheduler's costs beside the GPU's, by engine generation; the front end's per-request CPU beside its delay) are held at the base's values, each with the reason. Prints each point measured vs simulated, its leave-one-out error (refit without it, predict it) and its noise, and writes the fitted profile with its provenance and validation error; geopat size --profile FILE then sizes from it.

Fittable: ${FITTABLE_PARAMETERS.map((p) => p.path).join(', ')} (those the base profile has and the sweep identifies).`

  static override examples = [
    '<%= config.bin %> sim fit --from reports/20261206-081500-bench --profile h100-sxm-llama-3.1-8b-bf16 --out my-endpoint.yaml',
    '<%= config.bin %> size --profile my-endpoint.yaml --workload chat --slo ttft=500,tpot=25 --peak-rps 120',
  ]

  static override flags = {
    from: Flags.string({ required: true, description: 'geopat bench --profile sweep run folder (or its summary.json)' }),
    profile: Flags.string({ description: `base profile: a shipped name or a profile file (default: the one shipped profile serving the measured model; shipped: ${listProfiles().join(', ')})` }),
    out: Flags.string({ required: true, description: 'file to write the fitted profile to (YAML)' }),
    endpoint: Flags.string({ description: 'endpoint label to fit when the run measured several (the CC-off arm with --cc-endpoint)' }),
    'cc-endpoint': Flags.string({ description: "endpoint label of the same deployment with confidential computing on, measured in the same run: fits the profile's CC tolls too" }),
    cc: Flags.boolean({ description: "the one measured endpoint ran in a confidential VM: simulate it with the profile's CC tolls" }),
    parameters: Flags.string({ description: 'comma-separated parameter paths to fit (default: every fittable one the sweep identifies)' }),
    'max-requests': Flags.integer({ description: 'simulate at most this many requests per step (speed)', default: 400, min: 2 }),
    iterations: Flags.integer({ description: 'Levenberg-Marquardt iterations of the fit', default: 20, min: 1 }),
    overwrite: Flags.boolean({ description: 'replace --out if it exists' }),
    'include-client-bound': Flags.boolean({
      description: "keep the steps the client's self-check called client-bound (each with a note; the fit replays the intended send times, so their figures carry the client's lateness)",
    }),
  }

  async run(): Promise<Record<string, unknown>> {
    const { flags } = await this.parse(SimFit)
    const out = resolve(flags.out)
    if (!existsSync(dirname(out)) || !statSync(dirname(out)).isDirectory()) throw new UserError(`--out ${flags.out}: folder ${dirname(out)} does not exist`)
    if (existsSync(out) && !flags.overwrite) throw new UserError(`--out ${flags.out}: file exists (give --overwrite to replace it)`)
    if (!existsSync(flags.from)) throw new UserError(`--from ${flags.from}: no such folder or file`)
    const parameters = flags.parameters?.split(',').map((p) => p.trim()).filter((p) => p.length > 0)
    if (flags.cc && flags['cc-endpoint'] !== undefined) throw new UserError('--cc: give either --cc (one arm, CC on) or --cc-endpoint (both arms), not both')
    const sweep = await readMeasuredSweep(flags.from, {
      ...(flags.endpoint !== undefined ? { endpoint: flags.endpoint } : {}),
      ...(flags['cc-endpoint'] !== undefined ? { ccEndpoint: flags['cc-endpoint'] } : {}),
      confidential: flags.cc,
      maxRequestsPerPoint: flags['max-requests'],
      includeClientBound: flags['include-client-bound'],
    })
    const baseName = flags.profile ?? shippedProfileServing(sweep.model, flags.from)
    const base = loadProfile(baseName)
    const ccFlag = flags.cc ? '--cc' : '--cc-endpoint'
    if (sweep.points.some((p) => p.confidential) && !base.confidential) throw new UserError(`${ccFlag}: profile ${base.name} has no confidential-computing settings`)
    const result = await fitProfile({
      base,
      baseName,
      sweep,
      ...(parameters ? { parameters } : {}),
      maxIterations: flags.iterations,
      leaveOneOutIterations: flags.iterations,
      now: new Date(),
    })
    const header = `# Fitted by geopat sim fit from ${flags.from} (run ${sweep.runId}, endpoint ${sweep.endpoint}${sweep.ccEndpoint !== undefined ? `, CC-on arm ${sweep.ccEndpoint}` : ''}) on ${result.profile.calibration?.date}.\n# Base profile: ${baseName}. calibration: says what was fitted, what was kept, and the leave-one-out error.\n`
    writeFileAtomic(out, header + YAML.stringify(result.profile, { lineWidth: 0 }))
    if (!this.jsonEnabled()) this.log(formatFitResult(result, flags.out))
    return {
      profileFile: out,
      profile: result.profile,
      fitted: result.fitted,
      fixed: result.fixed,
      points: result.points,
      leaveOneOut: result.leaveOneOut,
      iterations: result.iterations,
      simulations: result.simulations,
      notes: result.notes,
    }
  }
}

/** The one shipped profile whose served model is the measured one; otherwise --profile is needed. */
function shippedProfileServing(model: string, from: string): string {
  const matching = listProfiles().filter((name) => loadProfile(name).model.servedName === model)
  if (matching.length === 1) return matching[0] as string
  throw new UserError(
    `--profile: required: ${matching.length === 0 ? `no shipped profile serves "${model}" (measured in ${from})` : `several shipped profiles serve "${model}" (${matching.join(', ')})`}; give the one whose GPU and model match the endpoint, or a profile file`,
  )
}
