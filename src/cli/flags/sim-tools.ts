import { join } from 'node:path'
import { listProfiles } from '../../sim/engine/profile.js'
import * as parse from './parsers.js'
import { type FlagValues, boolean, defineFlags, string, value } from './table.js'

/** `geopat sim calibrate`'s flags (options of the check; no scenario). */
export const SIM_CALIBRATE_FLAGS = defineFlags({
  check: boolean({ description: 'run the points and judge each profile (fitted within 10%, held-out within 15%)' }),
  profile: string({ description: 'only this profile: a shipped name or a profile file (its points are those naming its name)' }),
  set: string({ description: `folder of calibration files (default: the shipped set, ${join('data', 'calibration')})` }),
  write: boolean({ description: "rewrite each profile's calibration block (date, error figures) from this run" }),
})

export type SimCalibrateFlagValues = FlagValues<typeof SIM_CALIBRATE_FLAGS>

/** `geopat sim fit`'s flags (options of the fit; no scenario). */
export const SIM_FIT_FLAGS = defineFlags({
  from: string({ required: true, description: 'geopat bench --profile sweep run folder (or its summary.json)' }),
  profile: string({
    description:
      'base profile: a shipped name or a profile file (default: the one shipped profile serving the measured ' +
      `model; shipped: ${listProfiles().join(', ')})`,
  }),
  out: string({ required: true, description: 'file to write the fitted profile to (YAML)' }),
  endpoint: string({ description: 'endpoint label to fit when the run measured several (the CC-off arm with --cc-endpoint)' }),
  'cc-endpoint': string({
    description: "endpoint label of the same deployment with confidential computing on, measured in the same run: fits the profile's CC tolls too",
  }),
  cc: boolean({ description: "the one measured endpoint ran in a confidential VM: simulate it with the profile's CC tolls" }),
  parameters: value(parse.commaList, { description: 'comma-separated parameter paths to fit (default: every fittable one the sweep identifies)' }),
  'max-requests': value(parse.integerAtLeast(2), { description: 'simulate at most this many requests per step (speed)', default: '400' }),
  iterations: value(parse.positiveInteger, { description: 'Levenberg-Marquardt iterations of the fit', default: '20' }),
  overwrite: boolean({ description: 'replace --out if it exists' }),
  'include-client-bound': boolean({
    description:
      "keep the steps the client's self-check called client-bound (each with a note; the fit replays the intended send " +
      "times, so their figures carry the client's lateness)",
  }),
})

export type SimFitFlagValues = FlagValues<typeof SIM_FIT_FLAGS>
