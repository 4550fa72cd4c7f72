import type { SimCalibrateResult } from '../../../app/sim-calibrate.js'
import { FITTED_TOLERANCE, HELD_OUT_TOLERANCE } from '../../../sim/calibration/check.js'
import { failureLine, formatCalibrationCheck } from '../../render/sim-calibration.js'
import { withFlagTable } from '../../flag-table-command.js'
import { UserError } from '../../../util/errors.js'
import { SIM_CALIBRATE_FLAGS } from '../../flags/sim-tools.js'
import type { FlagValues } from '../../flags/table.js'

export default class SimCalibrate extends withFlagTable(SIM_CALIBRATE_FLAGS) {
  static override summary = 'Check the simulator profiles against published vLLM measurements (the calibration set), in virtual time'
  static override description =
    'Runs every point of the calibration set (data/calibration/*.yaml: published measurements with their setup, load and ' +
    'metric definition) with its profile in virtual time, and prints published vs simulated with the ratio. Each ' +
    `point's role comes from its profile's calibration block: fitted (the profile was tuned on it, must be within ` +
    `${FITTED_TOLERANCE * 100}%), held-out (kept out of the tuning, must be within ${HELD_OUT_TOLERANCE * 100}%) ` +
    'or unassigned (shown, not judged). Exits 1 when a fitted or held-out point is out of tolerance. --write ' +
    `stores the date and the error figures in each profile's calibration block, keeping the file's comments and layout.`

  static override examples = [
    '<%= config.bin %> sim calibrate --check',
    '<%= config.bin %> sim calibrate --check --profile h200-llama-3.1-8b-bf16',
    '<%= config.bin %> sim calibrate --check --profile my-endpoint.yaml --set my-points/ --json',
    '<%= config.bin %> sim calibrate --check --write',
  ]

  protected async execute(values: FlagValues<typeof SIM_CALIBRATE_FLAGS>): Promise<SimCalibrateResult> {
    if (!values.check && !values.write) throw new UserError('sim calibrate: give --check (compare with the published ' + 'points), optionally with --write')
    const { runSimCalibrate } = await import('../../../app/sim-calibrate.js')
    const { withFlagNames } = await import('../../flags/option-errors.js')
    const result = await withFlagNames(SIM_CALIBRATE_FLAGS, () =>
      runSimCalibrate({
        ...(values.profile !== undefined ? { profile: values.profile } : {}),
        ...(values.set !== undefined ? { set: values.set } : {}),
        write: values.write ?? false,
        today: new Date().toISOString().slice(0, 10),
      }),
    )
    if (!this.jsonEnabled()) {
      this.log(formatCalibrationCheck(result))
      for (const w of result.written) this.log(`${w.written ? 'wrote' : 'left'} ${w.file}: ${w.detail}`)
    }
    if (!result.ok) {
      process.stderr.write(`Error: ${failureLine(result)}\n`)
      process.exitCode = 1
    }
    return result
  }
}
