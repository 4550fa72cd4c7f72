import { Args } from '@oclif/core'
import type { TcoRunOptions } from '../../app/tco.js'
import type { TcoResult } from '../../io/schema/tco-result.js'
import { type CommandLine, withFlagTable } from '../flag-table-command.js'
import { UserError } from '../../util/errors.js'
import { tcoSettingsSchema } from '../../app/tco-options.js'
import * as parse from '../flags/parsers.js'
import { texts } from '../flags/parsers.js'
import { withSchemaDefaults } from '../flags/schema-defaults.js'
import { applyFlags, defineFlags, type FlagValues, repeated, string, validateWithFlags, value } from '../flags/table.js'

/**
 * `geopat tco`'s flags: each sets an option of the TCO run (TcoRunOptions), but --as-of (parsed by
 * the command) and --top-drivers (how much the table shows); the settings' rules and defaults are
 * tcoSettingsSchema's (src/app/tco-options.ts).
 */
const TCO_FLAGS = withSchemaDefaults(
  defineFlags({
    catalog: repeated(texts, {
      description: 'your own catalog file (rows the model names with catalogRow), or an FX file; repeat for several',
      path: 'catalogFiles',
    }),
    fx: repeated(texts, { description: 'your own FX file (rates: base, quote, rate, date, source, confidence)', path: 'fxFiles' }),
    draws: value(parse.integer, { description: 'Monte Carlo draws (10,000 to 1,000,000)', path: 'draws' }),
    seed: value(parse.integer, { description: 'seed of the Monte Carlo: the same seed gives the same result', path: 'seed' }),
    'top-drivers': value(parse.integer, { description: 'tornado drivers to print', default: '6' }),
    'max-age-days': value(parse.integer, {
      description: 'warn about catalog prices the model uses that are older than this many days',
      path: 'maxAgeDays',
    }),
    from: string({ description: 'a geopat size (or run) folder: options with gpusFromSizing take their GPUs from its sizing.json', path: 'from' }),
    plan: string({
      description: 'a geopat plan (or run) folder: options its moves map to (inventory tcoOption) take their start and dual-running months from plan.json',
      path: 'plan',
    }),
    out: string({ description: 'output folder (default reports/<run-id>)', path: 'outDir' }),
    'as-of': string({ description: "today's date for the catalog checks (a price must be in force; stale-price warnings), YYYY-MM-DD (default today)" }),
  }),
  '',
  tcoSettingsSchema,
)

export default class Tco extends withFlagTable(TCO_FLAGS) {
  static override summary = 'Total cost of ownership of each option over 3–5 years: NPV, IRR, payback, Monte Carlo, tornado, compliance tax, FOCUS export'
  static override description = [
    'Reads a TCO model (YAML: options such as staying on the hyperscaler, its sovereign region, an EU GPU cloud, ' +
      `on-prem/colocation and an EU token API, with their drivers) and prices it month by month in the model's one ` +
      'currency: rental by pricing model, owned servers (capex, network/storage share, depreciation, support, power ' +
      'with PUE, colocation, staff), token APIs, egress, switching charges under the EU Data Act (none from 12 Jan ' +
      '2027), dual running and re-validation, and the compliance tax C1–C17 (data/compliance/*.yaml; AI Act, DORA and' +
      ` NIS2 from the company's facts and the inventory's workloads). An option below the SEAL level a data class ` +
      'requires is excluded, with the reason (C11).',
    `Prints per option its NPV of costs at WACC, the Monte Carlo's P10/P50/P90 of that and of the savings against ` +
      'the baseline, P(savings > 0), the payback month, the IRR of the move and the $/GPU-hour of owned servers, then' +
      ` the tornado's top drivers. Writes tco.json, cashflows.csv, focus.csv (FinOps FOCUS 1.2 columns, billed costs ` +
      'only, every row marked as a projection) and risk-estimates.csv (expected losses, never billed).',
  ].join('\n\n')

  static override examples = [
    '<%= config.bin %> tco scenarios/tco-eu-exit.yaml',
    '<%= config.bin %> tco scenarios/tco-eu-exit.yaml --draws 100000 --seed 7 --out reports/eu-exit',
    '<%= config.bin %> tco my-model.yaml --catalog my-quotes.yaml --fx my-rates.yaml --json',
  ]

  static override args = {
    model: Args.string({ description: 'TCO model file (YAML)', required: true }),
  }

  protected async execute(values: FlagValues<typeof TCO_FLAGS>, { args }: CommandLine<'model'>): Promise<TcoResult> {
    if (values['top-drivers'] < 0) throw new UserError('--top-drivers: must be an integer >= 0')
    const { parseAsOf } = await import('../../pricing/catalog.js')
    const { runTcoModel } = await import('../../app/tco.js')
    const options = applyFlags(TCO_FLAGS, values, { modelFile: args.model }) as unknown as TcoRunOptions
    const settings = validateWithFlags(tcoSettingsSchema, options, { table: TCO_FLAGS, values, source: 'flags' })
    const { withFlagNames } = await import('../flags/option-errors.js')
    const { result, files } = await withFlagNames(TCO_FLAGS, () => runTcoModel({ ...options, ...settings, asOf: parseAsOf(values['as-of'], '--as-of') }))
    if (!this.jsonEnabled()) {
      const { tcoLines } = await import('../render/tco-table.js')
      for (const line of tcoLines(result, files, { topDrivers: values['top-drivers'] })) this.log(line)
    }
    return result
  }
}
