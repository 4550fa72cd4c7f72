/**
 * Monte Carlo benchmark of `geopat tco`: how long 100,000 draws of a 5-option model take
 * (acceptance: under 2 s on the 2-core development machine).
 *
 * The model is scenarios/tco-eu-exit.yaml (six options; the US token API fails the sovereignty gate,
 * so five are evaluated per draw: the baseline and four alternatives), compiled once with the
 * built-in catalog and compliance data; then `runMonteCarlo` (sampling, cash flows, present values,
 * quantiles) is timed --repeat times, and the whole computation of the command (`runTco`:
 * deterministic run, tornado and Monte Carlo) once more. Prints JSON on stdout.
 *
 *   npm run build && node dist/bench/tco-monte-carlo.js
 *   node dist/bench/tco-monte-carlo.js --draws 100000 --repeat 5 --seed 1 --model scenarios/tco-eu-exit.yaml
 *
 * Not part of `npm test`.
 */
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { loadCatalog } from '../src/pricing/catalog.js'
import { loadComplianceData } from '../src/tco/compliance-tax.js'
import { evaluatedOptions, runMonteCarlo } from '../src/tco/monte-carlo.js'
import { runTco } from '../src/tco/engine.js'
import { compileModel } from '../src/tco/compile.js'
import { catalogPrices } from '../src/app/tco.js'
import { loadYamlFile } from '../src/io/schema/load-file.js'
import { tcoModelSchema } from '../src/io/schema/tco-model.js'
import { PACKAGE_ROOT } from '../src/util/version.js'

const { values: flags } = parseArgs({
  options: {
    draws: { type: 'string', default: '100000' },
    repeat: { type: 'string', default: '3' },
    seed: { type: 'string', default: '1' },
    model: { type: 'string', default: join(PACKAGE_ROOT, 'scenarios', 'tco-eu-exit.yaml') },
  },
})
const draws = Number(flags.draws)
const repeat = Number(flags.repeat)
const seed = Number(flags.seed)
if (!(Number.isInteger(draws) && draws > 0 && Number.isInteger(repeat) && repeat > 0 && Number.isInteger(seed))) {
  process.stderr.write('--draws, --repeat and --seed must be positive integers\n')
  process.exit(2)
}

const compileStart = performance.now()
const model = loadYamlFile(flags.model, tcoModelSchema)
const catalog = loadCatalog()
const prices = catalogPrices(catalog, new Date(), flags.model)
const compliance = loadComplianceData()
const plan = compileModel(model, flags.model, compliance, prices)
const compileSeconds = (performance.now() - compileStart) / 1000

const monteCarloSeconds: number[] = []
// CPU time of the process (user + system) beside the wall clock: on a machine shared with other work the wall clock mostly measures the wait for a core.
const monteCarloCpuSeconds: number[] = []
let p50 = 0
for (let run = 0; run < repeat; run++) {
  const start = performance.now()
  const cpuStart = process.cpuUsage()
  const result = runMonteCarlo(plan, { draws, seed })
  const cpu = process.cpuUsage(cpuStart)
  monteCarloSeconds.push((performance.now() - start) / 1000)
  monteCarloCpuSeconds.push((cpu.user + cpu.system) / 1e6)
  p50 = result.npvCost[plan.baseline]?.p50 ?? Number.NaN
}
const wholeStart = performance.now()
runTco(plan, compliance, { draws, seed })
const wholeSeconds = (performance.now() - wholeStart) / 1000

const sorted = [...monteCarloSeconds].sort((a, b) => a - b)
const round = (value: number): number => Math.round(value * 1000) / 1000
process.stdout.write(
  `${JSON.stringify(
    {
      benchmark: 'tco-monte-carlo',
      model: flags.model,
      draws,
      seed,
      optionsInModel: plan.options.length,
      optionsEvaluatedPerDraw: evaluatedOptions(plan).filter(Boolean).length,
      uncertainDrivers: plan.drivers.filter((driver) => driver.distribution.uncertain).length,
      months: plan.months,
      seconds: {
        compile: round(compileSeconds),
        monteCarloRuns: monteCarloSeconds.map(round),
        monteCarloMin: round(sorted[0] as number),
        monteCarloMedian: round(sorted[Math.floor(sorted.length / 2)] as number),
        monteCarloCpuRuns: monteCarloCpuSeconds.map(round),
        wholeTco: round(wholeSeconds),
      },
      drawsPerSecond: Math.round(draws / (sorted[Math.floor(sorted.length / 2)] as number)),
      baselineNpvCostP50: round(p50),
      targetSeconds: 2,
      machine: {
        cpu: cpus()[0]?.model ?? 'unknown',
        cores: cpus().length,
        node: process.version,
        loadAverage: loadavg().map((value) => Math.round(value * 100) / 100),
      },
    },
    null,
    2,
  )}\n`,
)
