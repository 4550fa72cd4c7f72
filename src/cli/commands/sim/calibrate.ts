import { Flags } from '@oclif/core'
import { join } from 'node:path'
import { PROFILE_DIR, listProfiles, loadProfile } from '../../../io/schema/sim-profile.js'
import { type CalibrationCheck, FITTED_TOLERANCE, HELD_OUT_TOLERANCE, runCalibrationCheck } from '../../../sim/calibration/check.js'
import { failureLine, formatCalibrationCheck } from '../../../sim/calibration/format.js'
import { CALIBRATION_DIR, loadCalibrationSet } from '../../../sim/calibration/set.js'
import { type ProfileWrite, writeCalibrationBlocks } from '../../../sim/calibration/write-profiles.js'
import { GeopatCommand } from '../../../util/base-command.js'
import { UserError } from '../../../util/errors.js'

type CalibrateResult = CalibrationCheck & { ok: boolean; written: ProfileWrite[] }

export default class SimCalibrate extends GeopatCommand {
  static override summary = 'Check the simulator profiles against published vLLM measurements (the calibration set), in virtual time'
  static override description = `Runs every point of the calibration set (data/calibration/*.yaml: published measurements with their setup, load and metric definition) with its profile in virtual time, and prints published vs simulated with the ratio. Each point's role comes from its profile's calibration block: fitted (the profile was tuned on it, must be within ${FITTED_TOLERANCE * 100}%), held-out (kept out of the tuning, must be within ${HELD_OUT_TOLERANCE * 100}%) or unassigned (shown, not judged). Exits 1 when a fitted or held-out point is out of tolerance. --write stores the date and the error figures in each profile's calibration block, keeping the file's comments and layout.`

  static override examples = [
    '<%= config.bin %> sim calibrate --check',
    '<%= config.bin %> sim calibrate --check --profile h200-llama-3.1-8b-bf16',
    '<%= config.bin %> sim calibrate --check --profile my-endpoint.yaml --set my-points/ --json',
    '<%= config.bin %> sim calibrate --check --write',
  ]

  static override flags = {
    check: Flags.boolean({ description: 'run the points and judge each profile (fitted within 10%, held-out within 15%)' }),
    profile: Flags.string({ description: 'only this profile: a shipped name or a profile file (its points are those naming its name)' }),
    set: Flags.string({ description: `folder of calibration files (default: the shipped set, ${join('data', 'calibration')})` }),
    write: Flags.boolean({ description: "rewrite each profile's calibration block (date, error figures) from this run" }),
  }

  async run(): Promise<CalibrateResult> {
    const { flags } = await this.parse(SimCalibrate)
    if (!flags.check && !flags.write) throw new UserError('sim calibrate: give --check (compare with the published points), optionally with --write')
    const set = loadCalibrationSet(flags.set ?? CALIBRATION_DIR)
    const names = flags.profile !== undefined ? [flags.profile] : listProfiles()
    const profiles = names.map((name) => loadProfile(name))
    const check = await runCalibrationCheck(flags.profile !== undefined ? set.filter((s) => s.point.profile === profiles[0]?.name) : set, profiles)
    let written: ProfileWrite[] = []
    if (flags.write) {
      // loadProfile read a shipped name from PROFILE_DIR/NAME.yaml, and anything else as a path.
      const shipped = listProfiles()
      const fileOf = (name: string): string => (shipped.includes(name) ? join(PROFILE_DIR, `${name}.yaml`) : name)
      const files = new Map(profiles.map((profile, i) => [profile.name, fileOf(names[i] as string)]))
      written = writeCalibrationBlocks(check, files, new Date().toISOString().slice(0, 10))
    }
    if (!this.jsonEnabled()) {
      this.log(formatCalibrationCheck(check))
      for (const w of written) this.log(`${w.written ? 'wrote' : 'left'} ${w.file}: ${w.detail}`)
    }
    if (check.failures.length > 0) {
      process.stderr.write(`Error: ${failureLine(check)}\n`)
      process.exitCode = 1
    }
    return { ...check, ok: check.failures.length === 0, written }
  }
}
