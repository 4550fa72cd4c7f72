import { join } from 'node:path'
import { type CalibrationCheck, runCalibrationCheck } from '../sim/calibration/check.js'
import { CALIBRATION_DIR, loadCalibrationSet } from '../sim/calibration/set.js'
import { type ProfileWrite, writeCalibrationBlocks } from '../sim/calibration/write-profiles.js'
import { PROFILE_DIR, listProfiles, loadProfile } from '../sim/engine/profile.js'

export interface SimCalibrateOptions {
  /** Only this profile (a shipped name or a file); every shipped profile otherwise. */
  profile?: string
  /** Folder of calibration files; the shipped set otherwise. */
  set?: string
  /** Rewrite each profile's calibration block from this run, dated `today` (YYYY-MM-DD). */
  write: boolean
  today: string
}

export type SimCalibrateResult = CalibrationCheck & { ok: boolean; written: ProfileWrite[] }

/** `geopat sim calibrate`: every point of the set with its profile in virtual time, judged per profile. */
export async function runSimCalibrate(options: SimCalibrateOptions): Promise<SimCalibrateResult> {
  const set = loadCalibrationSet(options.set ?? CALIBRATION_DIR)
  const names = options.profile !== undefined ? [options.profile] : listProfiles()
  const profiles = names.map((name) => loadProfile(name))
  const check = await runCalibrationCheck(options.profile !== undefined ? set.filter((s) => s.point.profile === profiles[0]?.name) : set, profiles)
  let written: ProfileWrite[] = []
  if (options.write) {
    // loadProfile read a shipped name from PROFILE_DIR/NAME.yaml, and anything else as a path.
    const shipped = listProfiles()
    const fileOf = (name: string): string => (shipped.includes(name) ? join(PROFILE_DIR, `${name}.yaml`) : name)
    const files = new Map(profiles.map((profile, i) => [profile.name, fileOf(names[i] as string)]))
    written = writeCalibrationBlocks(check, files, options.today)
  }
  return { ...check, ok: check.failures.length === 0, written }
}
