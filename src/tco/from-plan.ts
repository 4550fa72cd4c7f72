import { locateOutputFile } from '../io/output/files.js'
import { loadYamlFile } from '../io/schema/load-file.js'
import { type Plan, planSchema } from '../io/schema/plan.js'
import { OptionMessageError } from '../util/option-error.js'

/** plan.json in a `geopat plan` folder, a `geopat run` folder (plan/plan.json), or the file itself; the error names the option `plan`. */
export function readPlan(path: string): { file: string; plan: Plan } {
  const file = locateOutputFile(path, 'plan.json', ['plan'])
  if (!file) throw new OptionMessageError(`{plan} ${path}: no plan.json there (give a geopat plan or geopat run folder)`)
  return { file, plan: loadYamlFile(file, planSchema) }
}
