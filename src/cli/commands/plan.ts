import { join } from 'node:path'
import { Args, Flags } from '@oclif/core'
import type { Plan } from '../../io/schema/plan.js'
import { GeopatCommand } from '../../util/base-command.js'

export default class PlanCommand extends GeopatCommand {
  static override summary = 'A phased exit plan: 7 R recommendation per workload, waves, canaries, rollback criteria, deadlines'
  static override description = 'Reads an inventory of AI workloads (scenarios/eu-exit-inventory.yaml shows every field), recommends one of the 7 Rs per workload (sovereignty gate first, then cost, then measured latency when --from gives bench results), moves dependency cycles together, orders waves by deadline, value and AI Act risk within the GPU capacity per month, and gives each wave its steps (assessment, pilot, canary ramp, dual running, cutover, decommission) and rollback criteria. Conflicts (a deadline capacity cannot meet, an unknown reference, a workload no option can legally host) are listed in the plan, not thrown; unknown references also make the exit code 2.'

  static override examples = ['<%= config.bin %> plan scenarios/eu-exit-inventory.yaml', '<%= config.bin %> plan inventory.yaml --from reports/20261124-101500-bench --json']

  static override args = { inventory: Args.string({ description: 'inventory YAML file', required: true }) }

  static override flags = {
    from: Flags.string({ multiple: true, description: 'geopat bench run folder(s): latency evidence for options that name a benchEndpoint' }),
    out: Flags.string({ description: 'output folder (default reports/<run-id>)' }),
    catalog: Flags.string({ multiple: true, description: 'your own catalog file(s) beside the built-in one (the freshest row of an id prices the ranking)' }),
    fx: Flags.string({ multiple: true, description: 'your own FX file(s) beside the built-in one' }),
  }

  async run(): Promise<Plan> {
    const { args, flags } = await this.parse(PlanCommand)
    const { runPlan } = await import('../../app/plan.js')
    const { plan, outDir, unknownReferences } = runPlan({ inventoryFile: args.inventory, from: flags.from ?? [], catalogFiles: flags.catalog ?? [], fxFiles: flags.fx ?? [], ...(flags.out !== undefined ? { outDir: flags.out } : {}) })
    if (!this.jsonEnabled()) {
      const { formatPlan } = await import('../render/plan.js')
      this.log(formatPlan(plan))
      this.log(`\nplan: ${join(outDir, 'plan.json')} · waves.csv · workloads.csv · gantt.csv · dependencies.dot`)
    }
    const unknown = unknownReferences[0]
    if (unknown) {
      process.stderr.write(`Error: ${args.inventory}: ${unknown.workload}: ${unknown.detail}${unknownReferences.length > 1 ? ' (and more: see plan.json conflicts)' : ''}\n`)
      process.exitCode = 2
    }
    return plan
  }
}
