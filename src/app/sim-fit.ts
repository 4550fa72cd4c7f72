import { resolve } from 'node:path'
import YAML from 'yaml'
import { writeFileAtomic } from '../io/output/files.js'
import { listProfiles, loadProfile } from '../io/schema/sim-profile.js'
import { type FitResult, fitProfile } from '../sim/fit/fit.js'
import { readMeasuredSweep } from '../sim/fit/operating-points.js'
import { OptionError } from '../util/option-error.js'

export interface SimFitOptions {
  /** The bench sweep's run folder (or its summary.json). */
  from: string
  /** Base profile; the one shipped profile serving the measured model otherwise. */
  profile?: string
  /** The fitted profile's file (YAML); its folder exists. */
  out: string
  endpoint?: string
  /** The same deployment's CC-on arm in the same run: fits the CC tolls too. */
  ccEndpoint?: string
  /** The one measured endpoint ran confidential. */
  confidential: boolean
  parameters?: string[]
  maxRequestsPerPoint: number
  iterations: number
  includeClientBound: boolean
  now: Date
}

/** `profile`: no base profile could be chosen; `confidential`: the base has no CC settings for a CC arm. */
export type SimFitOption = 'profile' | 'confidential'

export interface SimFitResult {
  profileFile: string
  result: FitResult
}

/**
 * `geopat sim fit`: the sweep's steps replayed in virtual time, the base profile's timing fitted
 * to them, the fitted profile written with its provenance.
 */
export async function runSimFit(options: SimFitOptions): Promise<SimFitResult> {
  const sweep = await readMeasuredSweep(options.from, {
    ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
    ...(options.ccEndpoint !== undefined ? { ccEndpoint: options.ccEndpoint } : {}),
    confidential: options.confidential,
    maxRequestsPerPoint: options.maxRequestsPerPoint,
    includeClientBound: options.includeClientBound,
  })
  const baseName = options.profile ?? shippedProfileServing(sweep.model, options.from)
  const base = loadProfile(baseName)
  if (sweep.points.some((p) => p.confidential) && !base.confidential)
    throw new OptionError<SimFitOption>('confidential', `profile ${base.name} has no confidential-computing settings`)
  const result = await fitProfile({
    base,
    baseName,
    sweep,
    ...(options.parameters ? { parameters: options.parameters } : {}),
    maxIterations: options.iterations,
    leaveOneOutIterations: options.iterations,
    now: options.now,
  })
  const ccArm = sweep.ccEndpoint !== undefined ? `, CC-on arm ${sweep.ccEndpoint}` : ''
  const header = [
    `# Fitted by geopat sim fit from ${options.from} (run ${sweep.runId}, endpoint ${sweep.endpoint}${ccArm}) on ${result.profile.calibration?.date}.`,
    `# Base profile: ${baseName}. calibration: says what was fitted, what was kept, and the leave-one-out error.`,
    '',
  ].join('\n')
  const profileFile = resolve(options.out)
  writeFileAtomic(profileFile, header + YAML.stringify(result.profile, { lineWidth: 0 }))
  return { profileFile, result }
}

/** The one shipped profile whose served model is the measured one; otherwise the caller must name one. */
function shippedProfileServing(model: string, from: string): string {
  const matching = listProfiles().filter((name) => loadProfile(name).model.servedName === model)
  if (matching.length === 1) return matching[0] as string
  const why =
    matching.length === 0 ? `no shipped profile serves "${model}" (measured in ${from})` : `several shipped profiles serve "${model}" (${matching.join(', ')})`
  throw new OptionError<SimFitOption>('profile', `required: ${why}; give the one whose GPU and model match the endpoint, or a profile file`)
}
