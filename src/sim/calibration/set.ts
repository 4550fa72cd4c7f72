import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { type CalibrationFile, type CalibrationPoint, type CalibrationSetup, calibrationFileSchema } from '../../io/schema/calibration-set.js'
import { loadYamlFile } from '../../io/schema/load-file.js'
import { UserError } from '../../util/errors.js'
import { OptionMessageError } from '../../util/option-error.js'
import { PACKAGE_ROOT } from '../../util/version.js'

/** The shipped calibration set: published measurements, one YAML file per source. */
export const CALIBRATION_DIR = join(PACKAGE_ROOT, 'data', 'calibration')

/** One point of the set with its setup and where it was read from. */
export interface SetPoint {
  file: string
  source: CalibrationFile['source']
  point: CalibrationPoint
  setup: CalibrationSetup
}

/** Every calibration file of a folder (*.yaml, *.yml), validated; point ids must be unique across files. */
export function loadCalibrationSet(dir = CALIBRATION_DIR): SetPoint[] {
  let names: string[]
  try {
    names = readdirSync(dir)
      .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
      .sort()
  } catch (error) {
    throw new OptionMessageError(`{set} ${dir}: cannot read the folder (${(error as NodeJS.ErrnoException).code ?? 'error'})`)
  }
  if (names.length === 0) throw new OptionMessageError(`{set} ${dir}: no calibration files (*.yaml) in the folder`)
  const points: SetPoint[] = []
  const fileOfId = new Map<string, string>()
  for (const name of names) {
    const file = join(dir, name)
    const data = loadYamlFile(file, calibrationFileSchema)
    data.points.forEach((point, index) => {
      const other = fileOfId.get(point.id)
      if (other !== undefined) throw new UserError(`${file}: points.${index}.id: "${point.id}" is already a point of ${other} (ids are unique across the set)`)
      fileOfId.set(point.id, file)
      points.push({ file, source: data.source, point, setup: data.setups[point.setup] as CalibrationSetup })
    })
  }
  return points
}
