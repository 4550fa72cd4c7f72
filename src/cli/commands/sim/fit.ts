import { existsSync, statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import type { SimFitOption } from '../../../app/sim-fit.js'
import { FITTABLE_PARAMETERS } from '../../../sim/fit/parameters.js'
import { withFlagTable } from '../../flag-table-command.js'
import { UserError } from '../../../util/errors.js'
import { SIM_FIT_FLAGS, type SimFitFlagValues } from '../../flags/sim-tools.js'
import type { FlagValues } from '../../flags/table.js'
import { formatFitResult } from '../../render/sim-fit.js'

export default class SimFit extends withFlagTable(SIM_FIT_FLAGS) {
  static override summary = "Fit a simulator profile's timing parameters to a measured bench sweep of your endpoint"
  static override description =
    'Reads a geopat bench --profile sweep run folder (summary.json, records.jsonl, and metrics.jsonl where bench ' +
    `--scrape-metrics kept the endpoint's /metrics), simulates every step in virtual time with the measured requests' ` +
    `lengths and send times, and fits the base profile's timing parameters by bounded least squares ` +
    '(Levenberg-Marquardt, ml-levenberg-marquardt) on the relative errors of TTFT, TPOT, output throughput, the ' +
    `median token gap, TTFT against prompt length at the synchronous step and the server's running requests. ` +
    `Parameters that enter the step time as a sum with one it fits (the scheduler's costs beside the GPU's, by ` +
    `engine generation; the front end's per-request CPU beside its delay) are held at the base's values, ` +
    'each with the reason. Prints each point measured vs simulated, its leave-one-out error (refit without ' +
    'it, predict it) and its noise, and writes the fitted profile with its provenance and validation ' +
    `error; geopat size --profile FILE then sizes from it.

Fittable: ${FITTABLE_PARAMETERS.map((p) => p.path).join(', ')} (those the base profile has and the sweep identifies).`

  static override examples = [
    '<%= config.bin %> sim fit --from reports/20261206-081500-bench --profile h100-sxm-llama-3.1-8b-bf16 --out my-endpoint.yaml',
    '<%= config.bin %> size --profile my-endpoint.yaml --workload chat --slo ttft=500,tpot=25 --peak-rps 120',
  ]

  protected async execute(values: FlagValues<typeof SIM_FIT_FLAGS>): Promise<Record<string, unknown>> {
    checkFiles(values)
    if (values.cc && values['cc-endpoint'] !== undefined)
      throw new UserError('--cc: give either --cc (one arm, CC on) ' + 'or --cc-endpoint (both arms), not both')
    const [{ runSimFit }, { OptionError }] = await Promise.all([import('../../../app/sim-fit.js'), import('../../../util/option-error.js')])
    const { withFlagNames } = await import('../../flags/option-errors.js')
    const { profileFile, result } = await withFlagNames(SIM_FIT_FLAGS, () =>
      runSimFit({
        from: values.from,
        out: values.out,
        ...(values.profile !== undefined ? { profile: values.profile } : {}),
        ...(values.endpoint !== undefined ? { endpoint: values.endpoint } : {}),
        ...(values['cc-endpoint'] !== undefined ? { ccEndpoint: values['cc-endpoint'] } : {}),
        ...(values.parameters !== undefined ? { parameters: values.parameters } : {}),
        confidential: values.cc ?? false,
        maxRequestsPerPoint: values['max-requests'],
        iterations: values.iterations,
        includeClientBound: values['include-client-bound'] ?? false,
        now: new Date(),
      }),
    ).catch((error: unknown) => {
      if (!(error instanceof OptionError)) throw error
      const flags: Record<SimFitOption, string> = { profile: '--profile', confidential: values.cc ? '--cc' : '--cc-endpoint' }
      throw new UserError(`${flags[error.option as SimFitOption]}: ${error.detail}`)
    })
    if (!this.jsonEnabled()) this.log(formatFitResult(result, values.out))
    const { profile, fitted, fixed, points, leaveOneOut, iterations, simulations, notes } = result
    return { profileFile, profile, fitted, fixed, points, leaveOneOut, iterations, simulations, notes }
  }
}

/** --out's folder exists and --out is new (or --overwrite); --from exists. */
function checkFiles(values: SimFitFlagValues): void {
  const out = resolve(values.out)
  if (!existsSync(dirname(out)) || !statSync(dirname(out)).isDirectory()) throw new UserError(`--out ${values.out}: ` + `folder ${dirname(out)} does not exist`)
  if (existsSync(out) && !values.overwrite) throw new UserError(`--out ${values.out}: file exists (give --overwrite to replace it)`)
  if (!existsSync(values.from)) throw new UserError(`--from ${values.from}: no such folder or file`)
}
