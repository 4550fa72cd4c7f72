import { join } from 'node:path'
import { Args } from '@oclif/core'
import type { PlanRequest } from '../../app/plan.js'
import type { Plan } from '../../io/schema/plan.js'
import { type CommandLine, withFlagTable } from '../flag-table-command.js'
import { texts } from '../flags/parsers.js'
import { applyFlags, defineFlags, type FlagValues, repeated, string } from '../flags/table.js'

/** `geopat plan`'s flags: each sets a field of the plan request (PlanRequest). */
const PLAN_FLAGS = defineFlags({
  from: repeated(texts, { description: 'geopat bench run folder(s): latency evidence for options that name a benchEndpoint', path: 'from' }),
  out: string({ description: 'output folder (default reports/<run-id>)', path: 'outDir' }),
  catalog: repeated(texts, {
    description: 'your own catalog file(s) beside the built-in one (the freshest row of an id prices the ranking)',
    path: 'catalogFiles',
  }),
  fx: repeated(texts, { description: 'your own FX file(s) beside the built-in one', path: 'fxFiles' }),
})

export default class PlanCommand extends withFlagTable(PLAN_FLAGS) {
  static override summary = 'A phased exit plan: 7 R recommendation per workload, waves, canaries, rollback criteria, deadlines'
  static override description =
    'Reads an inventory of AI workloads (scenarios/eu-exit-inventory.yaml shows every field), recommends one of ' +
    'the 7 Rs per workload (sovereignty gate first, then cost, then measured latency when --from gives bench ' +
    'results), moves dependency cycles together, orders waves by deadline, value and AI Act risk within the GPU ' +
    'capacity per month, and gives each wave its steps (assessment, pilot, canary ramp, dual running, cutover, ' +
    'decommission) and rollback criteria. Conflicts (a deadline capacity cannot meet, an unknown reference, a ' +
    'workload no option can legally host) are listed in the plan, not thrown; unknown references also make the ' +
    'exit code 2.'

  static override examples = [
    '<%= config.bin %> plan scenarios/eu-exit-inventory.yaml',
    '<%= config.bin %> plan inventory.yaml --from reports/20261124-101500-bench --json',
  ]

  static override args = { inventory: Args.string({ description: 'inventory YAML file', required: true }) }

  protected async execute(values: FlagValues<typeof PLAN_FLAGS>, { args }: CommandLine<'inventory'>): Promise<Plan> {
    const { runPlan } = await import('../../app/plan.js')
    const request = applyFlags(PLAN_FLAGS, values, { inventoryFile: args.inventory }) as unknown as PlanRequest
    const { withFlagNames } = await import('../flags/option-errors.js')
    const { plan, outDir, unknownReferences } = await withFlagNames(PLAN_FLAGS, () => runPlan(request))
    if (!this.jsonEnabled()) {
      const { formatPlan } = await import('../render/plan.js')
      this.log(formatPlan(plan))
      this.log(`\nplan: ${join(outDir, 'plan.json')} · waves.csv · workloads.csv · gantt.csv · dependencies.dot`)
    }
    const unknown = unknownReferences[0]
    if (unknown) {
      process.stderr.write(
        `Error: ${args.inventory}: ${unknown.workload}: ${unknown.detail}${unknownReferences.length > 1 ? ' (and more: see plan.json conflicts)' : ''}\n`,
      )
      process.exitCode = 2
    }
    return plan
  }
}
