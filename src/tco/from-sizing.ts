import { locateOutputFile } from '../io/output/files.js'
import { loadYamlFile } from '../io/schema/load-file.js'
import { type SizingResult, sizingResultSchema } from '../io/schema/sizing.js'
import type { TcoModel } from '../io/schema/tco-model.js'
import { UserError } from '../util/errors.js'
import { OptionMessageError } from '../util/option-error.js'
import { makeDistribution } from './distributions.js'

/** sizing.json in a `geopat size` folder, a `geopat run` folder (size/sizing.json), or the file itself; the error names the option `from`. */
export function readSizing(path: string): { file: string; sizing: SizingResult } {
  const file = locateOutputFile(path, 'sizing.json', ['size'])
  if (!file) throw new OptionMessageError(`{from} ${path}: no sizing.json there (give a geopat size or geopat run folder)`)
  return { file, sizing: loadYamlFile(file, sizingResultSchema) }
}

/**
 * Options that say `gpusFromSizing: LABEL` take their first-year GPUs from that endpoint's sizing:
 * the steady fleet's GPUs needed (no rollout surge, before rounding) as the mode and the range the
 * capacity interval implies as a triangular input; the TCO rounds each draw to what the option's
 * offer sells (whole nodes only where it sells nodes; an owned option its own servers), the rule the
 * sizing's GPUs bought follow. (Taking the GPUs bought would round twice: a draw a hair above two
 * nodes became three.) The triangular input carries the capacity interval, so that the measured
 * goodput's uncertainty (and a simulated capacity's model error band) reaches the NPV's. Options
 * sized from the same endpoint share one draw of it (shared key `sizing.LABEL.gpus`); different
 * endpoints are drawn independently unless the model correlates their keys. Without a sizing they
 * keep `gpus` (or demand.gpus), and the note says so.
 */
export function applySizing(
  model: TcoModel,
  modelFile: string,
  from: { file: string; sizing: SizingResult } | undefined,
): { model: TcoModel; notes: string[] } {
  const notes: string[] = []
  const options = model.options.map((option, index) => {
    if (option.kind === 'token-api' || option.gpusFromSizing === undefined) return option
    const label = option.gpusFromSizing
    if (!from) {
      notes.push(`${option.id}: gpusFromSizing ${label} is not used without --from (GPUs from ${option.gpus !== undefined ? 'its gpus' : 'demand.gpus'})`)
      return option
    }
    const endpoint = from.sizing.endpoints.find((e) => e.label === label)
    if (!endpoint) {
      throw new UserError(
        `${modelFile}: options.${index}.gpusFromSizing: ${from.file} has no endpoint "${label}" (it has ` +
          `${from.sizing.endpoints.map((e) => e.label).join(', ')})`,
      )
    }
    const { low, total: mode, high } = endpoint.gpus
    if (high === null) notes.push(`${option.id}: the sizing of ${label} has no upper bound (its capacity interval reaches 0); the range is cut at its estimate`)
    const top = high ?? mode
    // One sizing, one GPU count: every option sized from this endpoint draws it once per draw (a shared key).
    const gpus = low < top ? { triangular: [low, mode, top] as [number, number, number], shared: `sizing.${label}.gpus` } : mode
    const band = endpoint.modelError
    const error =
      band === null
        ? ''
        : band.fraction !== null
          ? `; the range includes the model's error, ${band.sentence}`
          : `; ${band.sentence}: the range is the searches' only`
    notes.push(
      `${option.id}: GPUs needed from ${from.file} (${label}): ${low}–${top}, mode ${mode}, for ${from.sizing.demand.peakRequestsPerS} req/s at peak, ` +
        `rounded to what the offer sells in each draw${error}`,
    )
    return { ...option, gpus }
  })
  if (from) {
    const mismatch = demandMismatch(model, from.sizing)
    if (mismatch !== null) notes.push(mismatch)
  }
  return { model: { ...model, options }, notes }
}

/**
 * The GPU options sized from a sizing serve its demand; token APIs bill the model's
 * demand.tokensPerMonth. When the two differ by more than a quarter, the options are not compared on
 * one demand, and the note says by how much (central values; the estate's one demand is the cure).
 */
function demandMismatch(model: TcoModel, sizing: SizingResult): string | null {
  const sized = sizing.demand.tokensPerMonth
  const modelTokens = model.demand.tokensPerMonth
  const sizedFrom = model.options.some((option) => option.kind !== 'token-api' && option.gpusFromSizing !== undefined)
  const tokenApis = model.options.some((option) => option.kind === 'token-api')
  if (sized === null || modelTokens === undefined || !sizedFrom || !tokenApis) return null
  const sizedTotal = sized.input + sized.output
  const modelTotal = makeDistribution(modelTokens.input).central + makeDistribution(modelTokens.output).central
  if (!(sizedTotal > 0 && modelTotal > 0)) return null
  const ratio = sizedTotal / modelTotal
  if (ratio >= 0.8 && ratio <= 1.25) return null
  const billions = (tokens: number): string => `${(tokens / 1e9).toPrecision(3)}e9`
  return (
    `the GPU options sized from the sizing serve ${billions(sizedTotal)} tokens a month (its average ${sizing.demand.averageRequestsPerS} ` +
    `req/s${sizing.demand.averageBasis === 'assumed-peak' ? ', taken as the peak' : ''}), the token APIs bill demand.tokensPerMonth's ` +
    `${billions(modelTotal)} (central): ${ratio.toFixed(2)}×, so GPU fleets and token APIs are not costed on the same demand`
  )
}
