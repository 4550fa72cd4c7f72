import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import YAML from 'yaml'
import { describe, expect, it } from 'vitest'
import { sizingResultSchema } from '../../src/io/schema/sizing.js'
import { scenarioSchema } from '../../src/io/schema/scenario.js'
import { loadProfile } from '../../src/io/schema/sim-profile.js'
import { browserTestsRun, openInChromium } from '../helpers/browser.js'
import { REPO_ROOT, runCli } from '../helpers/cli.js'

/**
 * The README's main command, `geopat run scenarios/quickstart.yaml`, end to end: the scenario as
 * shipped, with fewer requests and one simulated search per endpoint so that the test suite stays
 * short (the full scenario takes about 50 s; both are timed in the README).
 */
const work = mkdtempSync(join(tmpdir(), 'geopat-quickstart-'))
const runDir = join(work, 'run')

function shortenedQuickstart(): string {
  const scenario = YAML.parse(readFileSync(join(REPO_ROOT, 'scenarios', 'quickstart.yaml'), 'utf8'))
  scenario.load.requests = 32
  scenario.size.searches = 1
  scenario.size.simulatedSeconds = 60
  scenarioSchema.parse(scenario)
  const file = join(work, 'quickstart-short.yaml')
  writeFileSync(file, YAML.stringify(scenario))
  return file
}

const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)]))

describe('geopat run scenarios/quickstart.yaml', () => {
  let report = ''

  it('runs bench, size and the report into one folder and prints where the report is', async () => {
    const result = await runCli(['run', shortenedQuickstart(), '--out', runDir, '--no-progress'], { timeoutMs: 170_000 })
    expect(result.exitCode, result.stderr).toBe(0)
    report = join(runDir, 'report.html')
    expect(result.stdout).toContain(`report: ${report}`)
    for (const file of ['bench/summary.json', 'bench/records.jsonl', 'size/sizing.json']) expect(statSync(join(runDir, file)).size).toBeGreaterThan(0)
    // The closing line of the size step gives each endpoint's GPUs as bought with their range, and both $/Mtok figures, as sizing.json has them.
    const sizing = sizingResultSchema.parse(JSON.parse(readFileSync(join(runDir, 'size', 'sizing.json'), 'utf8')))
    for (const e of sizing.endpoints) {
      for (const c of e.costs) {
        expect(result.stdout).toContain(
          `${e.label}: ${c.gpusBought.estimate} GPUs bought (${c.gpusBought.low}–${c.gpusBought.high ?? '∞'}), fleet ${c.perMtokFleetAtDemand.total?.estimate.toFixed(3)} ${c.currency}/Mtok at the demand (${c.perMtokOneReplicaAtFullLoad.total?.estimate.toFixed(3)} at full load, one replica)`,
        )
      }
    }
  }, 180_000)

  it('is under 2 MB and its appendix traces every file of the run folder by its SHA-256', () => {
    expect(statSync(report).size).toBeLessThan(2 * 1024 * 1024)
    const html = readFileSync(report, 'utf8')
    // The EU endpoint is confidential by the scenario's word only (no evidence): the report says so.
    const attestation = html.slice(html.indexOf('Attestation: what is known'))
    expect(attestation).toMatch(/eu-regional-cc\s*<\/td>\s*<td[^>]*>\s*claimed/)
    expect(attestation).toMatch(/us-east-hyperscaler\s*<\/td>\s*<td[^>]*>\s*none/)
    for (const file of filesUnder(runDir).filter((f) => f !== report && !f.endsWith('.csv'))) {
      expect(html, relative(runDir, file)).toContain(createHash('sha256').update(readFileSync(file)).digest('hex'))
    }
  })

  it("shows the model's error beside each simulated capacity, or says the profile is not validated (issue 16)", () => {
    const html = readFileSync(report, 'utf8')
    const start = html.indexOf('id="capacity"')
    const capacity = html
      .slice(start, html.indexOf('</section>', start))
      .replace(/<[^>]+>/g, ' ')
      .replace(/\s+/g, ' ')
    const scenario = YAML.parse(readFileSync(join(REPO_ROOT, 'scenarios', 'quickstart.yaml'), 'utf8')) as {
      endpoints: Array<{ label: string; sim: { profile: string } }>
    }
    for (const endpoint of scenario.endpoints) {
      const calibration = loadProfile(endpoint.sim.profile).calibration
      const error = calibration?.error.underLoad ?? calibration?.error.lowLoad
      // The band beside the capacity when the profile carries an error; the plain warning when it does not.
      if (calibration && error !== null && error !== undefined) expect(capacity, endpoint.label).toContain(`±${Number((error * 100).toFixed(1))}%`)
      else if (!calibration) expect(capacity, endpoint.label).toContain('not validated against measurements')
    }
    expect(capacity).toContain('Model error')
  })

  it.skipIf(!browserTestsRun)(
    'opens offline in Chromium with no request, no console error, and titled, labelled charts',
    async () => {
      const facts = await openInChromium(report, join(REPO_ROOT, 'test-artifacts', 'quickstart-report.png'), async () => undefined)
      expect(facts.requests).toEqual([])
      expect(facts.problems).toEqual([])
      expect(facts.scripts).toBe(0)
      expect(facts.charts.length).toBeGreaterThan(3)
      for (const chart of facts.charts) {
        expect(chart.title.length).toBeGreaterThan(0)
        if (chart.kind === 'graph') continue
        expect(chart.texts).toContain(chart.x)
        expect(chart.texts).toContain(chart.y)
      }
    },
    60_000,
  )
})
