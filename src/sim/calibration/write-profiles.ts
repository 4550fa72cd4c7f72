import { readFileSync, writeFileSync } from 'node:fs'
import YAML, { type Document, isScalar } from 'yaml'
import { simProfileSchema, type ProfileCalibration } from '../../io/schema/sim-profile.js'
import { parseWithSchema } from '../../io/schema/load-file.js'
import { UserError } from '../../util/errors.js'
import type { CalibrationCheck, ProfileVerdict } from './check.js'

export interface ProfileWrite {
  profile: string
  file: string
  written: boolean
  /** Why the file was left as it was, or what was written. */
  detail: string
}

const round = (error: number | null): number | null => (error === null ? null : Math.round(error * 1000) / 1000)

/** The error figures of a verdict, as the calibration block stores them (fractions, 3 decimals). */
function errorFigures(verdict: ProfileVerdict): ProfileCalibration['error'] {
  const held = verdict.heldOut
  const figures = {
    lowLoad: round(held.lowLoad),
    underLoad: round(held.underLoad),
    fitted: round(verdict.fitted.worstError),
    heldOutPoints: held.points,
    lowLoadPoints: held.lowLoadPoints,
    underLoadPoints: held.underLoadPoints,
    overload: round(held.overload),
  }
  if ([figures.lowLoad, figures.underLoad, figures.overload, figures.fitted].some((e) => e !== null && !Number.isFinite(e))) {
    throw new UserError(`${verdict.profile}: a fitted or held-out point gave no simulated value: nothing written`)
  }
  return figures
}

/**
 * Rewrites the `calibration:` block of each profile file from a check: the date and the error
 * figures; fittedOn and heldOut stay as the file states them. A `derived` profile gets the figures
 * of the profile it derives from. The file's comments and layout are kept (yaml's Document API);
 * a profile with no calibration block, or one fitted to its own sweep, is left alone.
 */
export function writeCalibrationBlocks(check: CalibrationCheck, files: ReadonlyMap<string, string>, date: string): ProfileWrite[] {
  const verdicts = new Map(check.profiles.map((v) => [v.profile, v]))
  const writes: ProfileWrite[] = []
  for (const verdict of check.profiles) {
    const file = files.get(verdict.profile)
    if (file === undefined) continue
    const text = readFileSync(file, 'utf8')
    const document = YAML.parseDocument(text)
    const calibration = document.get('calibration') as unknown
    const method = document.getIn(['calibration', 'method']) as unknown
    if (calibration === undefined) {
      writes.push({ profile: verdict.profile, file, written: false, detail: 'no calibration block (add one with method, fittedOn and heldOut first)' })
      continue
    }
    let source: ProfileVerdict = verdict
    if (method === 'fitted') {
      writes.push({ profile: verdict.profile, file, written: false, detail: 'fitted to its own sweep (geopat sim fit): left as it is' })
      continue
    }
    if (method === 'derived') {
      const from = document.getIn(['calibration', 'derivedFrom', 'profile']) as unknown
      const fromVerdict = typeof from === 'string' ? verdicts.get(from) : undefined
      if (!fromVerdict) {
        writes.push({ profile: verdict.profile, file, written: false, detail: `derived from ${String(from)}, which this check did not run` })
        continue
      }
      source = fromVerdict
    } else if (verdict.fitted.points + verdict.heldOut.points === 0) {
      writes.push({ profile: verdict.profile, file, written: false, detail: 'none of its fittedOn / heldOut points ran' })
      continue
    }
    const error = errorFigures(source)
    const updated = setScalars(text, document, [
      [['calibration', 'date'], date],
      ...Object.entries(error).map(([key, value]): [string[], string | number | null] => [['calibration', 'error', key], value]),
    ])
    // What is written must still be a valid profile.
    parseWithSchema(file, simProfileSchema, YAML.parse(updated))
    if (updated !== text) writeFileSync(file, updated)
    writes.push({
      profile: verdict.profile,
      file,
      written: updated !== text,
      detail: `date ${date}, error ${JSON.stringify(error)}${source !== verdict ? ` (from ${source.profile})` : ''}`,
    })
  }
  return writes
}

/**
 * Sets scalar values in a YAML file's text. A value that is already there is replaced in place (its
 * characters only, its quoting kept), so that every other byte of the file stays as it was; only when
 * a key is missing is the document re-printed (yaml keeps comments, but may respace flow collections).
 */
function setScalars(text: string, document: Document, changes: ReadonlyArray<[string[], string | number | null]>): string {
  const edits: Array<{ start: number; end: number; text: string }> = []
  let missing = false
  for (const [path, value] of changes) {
    const node = document.getIn(path, true)
    if (isScalar(node) && node.range) {
      const plain = value === null ? 'null' : String(value)
      const quoted = node.type === 'QUOTE_SINGLE' ? `'${plain}'` : node.type === 'QUOTE_DOUBLE' ? JSON.stringify(plain) : plain
      edits.push({ start: node.range[0], end: node.range[1], text: quoted })
    } else {
      missing = true
    }
    document.setIn(path, value)
  }
  if (missing) return document.toString({ lineWidth: 0 })
  let updated = text
  for (const edit of edits.sort((a, b) => b.start - a.start)) updated = updated.slice(0, edit.start) + edit.text + updated.slice(edit.end)
  return updated
}
