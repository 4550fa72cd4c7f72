import { locateOutputFile } from '../output/files.js'
import { monthIndex } from '../plan/months.js'
import { loadYamlFile } from '../schema/load-file.js'
import { type Plan, planSchema } from '../schema/plan.js'
import type { TcoModel } from '../schema/tco-model.js'
import { UserError } from '../util/errors.js'

/** plan.json in a `geopat plan` folder, a `geopat run` folder (plan/plan.json), or the file itself. */
export function readPlan(path: string): { file: string; plan: Plan } {
  const file = locateOutputFile(path, 'plan.json', ['plan'])
  if (!file) throw new UserError(`--plan ${path}: no plan.json there (give a geopat plan or geopat run folder)`)
  return { file, plan: loadYamlFile(file, planSchema) }
}

/**
 * The plan's timing flows into the TCO: an option that inventory targets are costed as
 * (`tcoOption`) starts its move when the first of those workloads starts, and the baseline keeps
 * running beside it until the last of them leaves dual running. Options no planned move maps to
 * keep the model's own migration.
 */
export function applyPlan(model: TcoModel, from: { file: string; plan: Plan }): { model: TcoModel; notes: string[] } {
  const notes: string[] = []
  const modelStart = monthIndex(model.startMonth)
  const options = model.options.map((option) => {
    const moves = from.plan.dualRunning.filter((entry) => entry.tcoOption === option.id)
    if (moves.length === 0 || option.id === model.baseline) return option
    const firstStart = Math.min(...moves.map((m) => monthIndex(m.moveStart)))
    const lastEnd = Math.max(...moves.map((m) => monthIndex(m.end)))
    const startMonth = Math.max(0, firstStart - modelStart)
    if (startMonth >= model.horizonYears * 12) {
      notes.push(`${option.id}: the plan starts its move after the model's ${model.horizonYears}-year horizon; the model's own migration is kept`)
      return option
    }
    const dualRunningMonths = lastEnd - Math.max(firstStart, modelStart) + 1
    notes.push(`${option.id}: move from plan ${from.file}: starts month ${startMonth}, baseline runs beside it for ${dualRunningMonths} months (${moves.length} workload(s): ${moves.map((m) => m.workload).join(', ')})`)
    return { ...option, migration: { ...option.migration, startMonth, dualRunningMonths } }
  })
  return { model: { ...model, options }, notes }
}
