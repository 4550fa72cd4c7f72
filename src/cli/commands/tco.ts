import { Args, Flags } from '@oclif/core'
import { DEFAULT_DRAWS } from '../../app/tco-options.js'
import { STALE_AFTER_DAYS } from '../../pricing/fx.js'
import type { TcoResult } from '../../io/schema/tco-result.js'
import { GeopatCommand } from '../../util/base-command.js'
import { UserError } from '../../util/errors.js'

export default class Tco extends GeopatCommand {
  static override summary = 'Total cost of ownership of each option over 3–5 years: NPV, IRR, payback, Monte Carlo, tornado, compliance tax, FOCUS export'
  static override description = `Reads a TCO model (YAML: options such as staying on the hyperscaler, its sovereign region, an EU GPU cloud, on-prem/colocation and an EU token API, with their drivers) and prices it month by month in the model's one currency: rental by pricing model, owned servers (capex, network/storage share, depreciation, support, power with PUE, colocation, staff), token APIs, egress, switching charges under the EU Data Act (none from 12 Jan 2027), dual running and re-validation, and the compliance tax C1–C17 (data/compliance/*.yaml; AI Act, DORA and NIS2 from the company's facts and the inventory's workloads). An option below the SEAL level a data class requires is excluded, with the reason (C11).

Prints per option its NPV of costs at WACC, the Monte Carlo's P10/P50/P90 of that and of the savings against the baseline, P(savings > 0), the payback month, the IRR of the move and the $/GPU-hour of owned servers, then the tornado's top drivers. Writes tco.json, cashflows.csv, focus.csv (FinOps FOCUS 1.2 columns, billed costs only, every row marked as a projection) and risk-estimates.csv (expected losses, never billed).`

  static override examples = [
    '<%= config.bin %> tco scenarios/tco-eu-exit.yaml',
    '<%= config.bin %> tco scenarios/tco-eu-exit.yaml --draws 100000 --seed 7 --out reports/eu-exit',
    '<%= config.bin %> tco my-model.yaml --catalog my-quotes.yaml --fx my-rates.yaml --json',
  ]

  static override args = {
    model: Args.string({ description: 'TCO model file (YAML)', required: true }),
  }

  static override flags = {
    catalog: Flags.string({ multiple: true, description: 'your own catalog file (rows the model names with catalogRow), or an FX file; repeat for several' }),
    fx: Flags.string({ multiple: true, description: 'your own FX file (rates: base, quote, rate, date, source, confidence)' }),
    draws: Flags.integer({ description: 'Monte Carlo draws (10,000 to 1,000,000)', default: DEFAULT_DRAWS }),
    seed: Flags.integer({ description: 'seed of the Monte Carlo: the same seed gives the same result', default: 1 }),
    'top-drivers': Flags.integer({ description: 'tornado drivers to print', default: 6 }),
    'max-age-days': Flags.integer({ description: 'warn about catalog prices the model uses that are older than this many days', default: STALE_AFTER_DAYS }),
    from: Flags.string({ description: 'a geopat size (or run) folder: options with gpusFromSizing take their GPUs from its sizing.json' }),
    plan: Flags.string({ description: 'a geopat plan (or run) folder: options its moves map to (inventory tcoOption) take their start and dual-running months from plan.json' }),
    out: Flags.string({ description: 'output folder (default reports/<run-id>)' }),
    'as-of': Flags.string({ description: "today's date for the catalog checks (a price must be in force; stale-price warnings), YYYY-MM-DD (default today)" }),
  }

  async run(): Promise<TcoResult> {
    const { args, flags } = await this.parse(Tco)
    if (flags.draws < DEFAULT_DRAWS || flags.draws > 1_000_000) throw new UserError('--draws: must be an integer from 10000 to 1000000')
    if (flags.seed < 0 || flags.seed > 0xffffffff) throw new UserError('--seed: must be an integer from 0 to 4294967295')
    if (flags['top-drivers'] < 0) throw new UserError('--top-drivers: must be an integer >= 0')
    if (flags['max-age-days'] < 1) throw new UserError('--max-age-days: must be an integer >= 1')
    const { parseAsOf } = await import('../../pricing/catalog.js')
    const { runTcoModel } = await import('../../app/tco.js')
    const { result, files } = runTcoModel({
      modelFile: args.model,
      catalogFiles: flags.catalog ?? [],
      fxFiles: flags.fx ?? [],
      draws: flags.draws,
      seed: flags.seed,
      maxAgeDays: flags['max-age-days'],
      asOf: parseAsOf(flags['as-of']),
      ...(flags.from !== undefined ? { from: flags.from } : {}),
      ...(flags.plan !== undefined ? { plan: flags.plan } : {}),
      ...(flags.out !== undefined ? { outDir: flags.out } : {}),
    })
    if (!this.jsonEnabled()) {
      const { tcoLines } = await import('../render/tco-table.js')
      for (const line of tcoLines(result, files, { topDrivers: flags['top-drivers'] })) this.log(line)
    }
    return result
  }
}
