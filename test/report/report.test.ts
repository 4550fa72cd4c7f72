import { createHash } from 'node:crypto'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildReportModel } from '../../src/report/build.js'
import { escapeXml } from '../../src/report/chart-book.js'
import { loadReportInputs } from '../../src/report/inputs.js'
import { createRenderer } from '../../src/report/render.js'
import { tcoResultSchema } from '../../src/io/schema/tco-result.js'
import { type RunningSimServer, startFixedSimServer } from '../../src/sim/fixed-server.js'
import { CHROMIUM, browserTestsRun, openInChromium } from '../helpers/browser.js'
import { REPO_ROOT, expectOneLineError, runCli } from '../helpers/cli.js'
import { XSS_LABEL, XSS_MODEL, tcoFixture } from './fixtures.js'

/**
 * `geopat report` on real outputs: a bench and a compare (with a saturation sweep) against two
 * simulated endpoints, one of them labelled and serving a model named like an XSS payload, a
 * simulated `geopat size`, a `geopat plan` of the shipped inventory, and a tco.json as `geopat tco`
 * writes it. Then the file itself, and the page in Debian's headless Chromium.
 */

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts')
const work = mkdtempSync(join(tmpdir(), 'geopat-report-'))
const dirs = { bench: join(work, 'bench'), compare: join(work, 'compare'), size: join(work, 'size'), plan: join(work, 'plan'), tco: join(work, 'tco') }
const reportFile = join(work, 'report.html')
let servers: RunningSimServer[] = []
let html = ''

beforeAll(async () => {
  const first = await startFixedSimServer({ ttftMs: 30, itlMs: 5, model: XSS_MODEL })
  const second = await startFixedSimServer({ ttftMs: 45, itlMs: 4, model: 'eu-model' })
  servers = [first, second]
  const endpoints = `endpoints:\n  - label: '${XSS_LABEL}'\n    url: ${first.url}\n  - label: eu-sovereign\n    url: ${second.url}\n`
  writeFileSync(
    join(work, 'bench.yaml'),
    `${endpoints}load: { concurrency: 4, requests: 24, seed: 5 }\ninput: { inputTokens: 64, outputTokens: 16 }\nslo: { ttftMs: 300, tpotMs: 30 }\n`,
  )
  writeFileSync(
    join(work, 'compare.yaml'),
    `${endpoints}load: { requests: 1, seed: 3 }\ninput: { inputTokens: 64, outputTokens: 16 }\ncompare:\n  rounds: 2\n  requestsPerBlock: 6\n  warmupRequests: 2\n  aa: true\n  resamples: 400\n  probe: { rate: 40, durationS: 0.3 }\n  saturation: { durationS: 0.6, steps: 1, maxConcurrency: 8 }\n  operatingPoints:\n    - { label: low-load, concurrency: 2 }\n`,
  )
  // One after another: calls that overlap each start the binary (test/helpers/cli.ts); in turn they run in-process.
  const runs: string[][] = [
    ['bench', '--scenario', join(work, 'bench.yaml'), '--out', dirs.bench, '--no-progress'],
    ['compare', '--scenario', join(work, 'compare.yaml'), '--out', dirs.compare],
    [
      'size',
      '--profile',
      'h100-sxm-llama-3.1-8b-bf16',
      '--slo',
      'ttft=1000,tpot=20',
      '--peak-rps',
      '60',
      '--gpu-hour-price',
      '2.95',
      '--searches',
      '2',
      '--sim-duration',
      '10',
      '--out',
      dirs.size,
    ],
    ['plan', 'scenarios/eu-exit-inventory.yaml', '--out', dirs.plan],
  ]
  for (const args of runs) {
    const result = await runCli(args)
    expect(result.exitCode, result.stderr).toBe(0)
  }
  mkdirSync(dirs.tco, { recursive: true })
  writeFileSync(join(dirs.tco, 'tco.json'), `${JSON.stringify(tcoResultSchema.parse(tcoFixture()), null, 2)}\n`)
}, 180_000)

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()))
})

describe('geopat report on real simulator outputs', () => {
  it('writes one report.html from every folder and prints its path; --json gives file, bytes and sections', async () => {
    const result = await runCli([
      'report',
      '--from',
      dirs.bench,
      '--from',
      dirs.compare,
      '--from',
      dirs.size,
      '--from',
      dirs.tco,
      '--from',
      dirs.plan,
      '--out',
      reportFile,
      '--json',
    ])
    expect(result.exitCode, result.stderr).toBe(0)
    const json = JSON.parse(result.stdout) as { file: string; bytes: number; sections: string[] }
    expect(json.file).toBe(reportFile)
    expect(json.sections).toEqual(['summary', 'endpoints', 'capacity', 'tco', 'plan', 'methodology', 'appendix'])
    html = readFileSync(reportFile, 'utf8')
    expect(json.bytes).toBe(Buffer.byteLength(html))
    // Default output: report.html in the first --from folder, its path printed.
    const plain = await runCli(['report', '--from', dirs.size])
    expect(plain.exitCode, plain.stderr).toBe(0)
    expect(plain.stdout).toContain(join(dirs.size, 'report.html'))
    expect(existsSync(join(dirs.size, 'report.html'))).toBe(true)
  })

  it("warns, at the top of the report and on stderr, when a summary's counts do not match its records (issue 15.10)", async () => {
    // The untouched outputs reconcile: no alert.
    const clean = await runCli(['report', '--from', dirs.bench, '--out', join(work, 'clean.html')])
    expect(clean.exitCode, clean.stderr).toBe(0)
    expect(clean.stderr).toBe('')
    expect(readFileSync(join(work, 'clean.html'), 'utf8')).not.toContain('class="alerts"')
    const edited = join(work, 'edited-counts')
    cpSync(dirs.bench, edited, { recursive: true })
    const summary = JSON.parse(readFileSync(join(edited, 'summary.json'), 'utf8')) as {
      runs: Array<{ endpoint: { label: string }; stepLabel: string; requests: { sent: number; succeeded: number } }>
    }
    const run = summary.runs[1] as (typeof summary.runs)[number]
    const recorded = run.requests.sent
    run.requests.sent += 7
    run.requests.succeeded += 7
    writeFileSync(join(edited, 'summary.json'), JSON.stringify(summary))
    const result = await runCli(['report', '--from', edited])
    expect(result.exitCode, result.stderr).toBe(0)
    const expected = `run ${run.endpoint.label} · ${run.stepLabel}: counts do not match ${join(edited, 'records.jsonl')} (sent ${recorded + 7} in the summary, ${recorded} in the records; succeeded ${recorded + 7} in the summary, ${recorded} in the records)`
    expect(result.stderr).toContain(`warning: ${join(edited, 'summary.json')}: ${expected}`)
    const report = readFileSync(join(edited, 'report.html'), 'utf8')
    const alerts = /<section class="alerts"[\s\S]*?<\/section>/.exec(report)?.[0] ?? ''
    expect(alerts).toContain('Read first')
    expect(alerts).toContain(escapeXml(expected))
    // Only the edited run is named.
    expect(alerts.match(/counts do not match/g)).toHaveLength(1)
  })

  it('records the safety choices of a compare in its summary (issue 15.10)', () => {
    const compare = JSON.parse(readFileSync(join(dirs.compare, 'compare-summary.json'), 'utf8'))
    expect(compare.safety.endpoints.map((e: { endpoint: string }) => e.endpoint)).toEqual([XSS_LABEL, 'eu-sovereign'])
    expect(compare.safety.endpoints[0]).toMatchObject({
      scheme: 'http',
      tlsVerification: true,
      caFile: null,
      clientCertificate: false,
      apiKeyEnv: null,
      headerNames: [],
    })
    expect(compare.safety.retries.max).toBe(0)
  })

  it('is self-contained: no script, no external URL in any src/href, under 2 MB, printable on A4', () => {
    expect(html.length).toBeGreaterThan(0)
    expect(statSync(reportFile).size).toBeLessThan(2 * 1024 * 1024)
    expect(html).not.toMatch(/<script/i)
    expect(html).not.toMatch(/<(?:link|img|iframe|object|embed|image|use)\b/i)
    expect(html).not.toMatch(/\s(?:src|href|xlink:href|xmlns(?::\w+)?|action|poster|data)\s*=\s*["']?\s*(?:https?:)?\/\//i)
    expect(html).not.toMatch(/@import|url\(\s*['"]?https?:/i)
    expect(html).toContain('Content-Security-Policy" content="default-src \'none\'')
    expect(html).toMatch(/@media print/)
    expect(html).toMatch(/@page \{ size: A4/)
    // Endpoint URLs appear only as escaped text.
    expect(html).toContain(escapeXml(servers[0]?.url ?? ''))
  })

  it('shows a hostile endpoint label and model name as text, in the tables and inside the charts', () => {
    expect(html).not.toContain(XSS_LABEL)
    expect(html).not.toContain(XSS_MODEL)
    expect(html).toContain('&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;') // Handlebars' escaping
    expect(html).toContain(escapeXml(XSS_LABEL)) // ECharts' escaping, inside an SVG
    expect(html).toContain('&lt;img src&#x3D;y onerror&#x3D;alert(2)&gt;')
  })

  it('gives every chart a title and axis names with units', () => {
    const svgs = html.match(/<svg\b[^>]*>[\s\S]*?<\/svg>/g) ?? []
    expect(svgs.length).toBeGreaterThanOrEqual(12)
    for (const svg of svgs) {
      expect(svg).toMatch(/^<svg class="chart" role="img" aria-label="[^"]+"/)
      expect(svg).toMatch(/<title>[^<]+<\/title>/)
      if (svg.includes('data-kind="graph"')) continue
      const x = /data-x-axis="([^"]+)"/.exec(svg)?.[1]
      const y = /data-y-axis="([^"]+)"/.exec(svg)?.[1]
      expect(x, svg.slice(0, 200)).toMatch(/\(.+\)|^(Month|Year|Component|Option|Driver|Wave, workload and task)$/)
      expect(y, svg.slice(0, 200)).toBeTruthy()
      // The axis names are drawn, not only declared.
      expect(svg).toContain(`>${x}</text>`)
      expect(svg).toContain(`>${y}</text>`)
    }
    for (const kind of ['line', 'interval', 'scatter', 'bar', 'gantt', 'graph']) expect(html, kind).toContain(`data-kind="${kind}"`)
  })

  it('lists every file read with its size and SHA-256, and which section used it', () => {
    for (const file of [
      join(dirs.bench, 'summary.json'),
      join(dirs.bench, 'records.jsonl'),
      join(dirs.compare, 'compare-summary.json'),
      join(dirs.compare, 'records.jsonl'),
      join(dirs.size, 'sizing.json'),
      join(dirs.plan, 'plan.json'),
      join(dirs.tco, 'tco.json'),
    ]) {
      const content = readFileSync(file)
      expect(html, file).toContain(createHash('sha256').update(content).digest('hex'))
      expect(html, file).toContain(`${content.length.toLocaleString('en-US')} bytes`)
    }
    expect(html).toContain('data/sim-profiles/h100-sxm-llama-3.1-8b-bf16.yaml')
    expect(html).toMatch(/Options excluded by the sovereignty gate/)
    expect(html).toMatch(/Throughput at saturation/)
  })

  it('gives the same bytes for the same files and date', async () => {
    const now = new Date('2026-11-24T12:00:00Z')
    const render = createRenderer()
    const once = async () => render(await buildReportModel(await loadReportInputs([dirs.bench, dirs.compare, dirs.size, dirs.tco, dirs.plan]), { now }))
    expect(await once()).toBe(await once())
  })

  it('stops at a bad file with one line naming the file, the field and the rule (exit 2)', async () => {
    const bad = join(work, 'bad')
    cpSync(dirs.bench, bad, { recursive: true })
    const summary = JSON.parse(readFileSync(join(bad, 'summary.json'), 'utf8')) as { runs: Array<{ requests: { sent: number } }> }
    ;(summary.runs[0] as { requests: { sent: number } }).requests.sent = -1
    writeFileSync(join(bad, 'summary.json'), JSON.stringify(summary))
    const result = await runCli(['report', '--from', bad])
    expect(result.exitCode).toBe(2)
    const line = expectOneLineError(result)
    expect(line).toContain(join(bad, 'summary.json'))
    expect(line).toContain('runs.0.requests.sent')
    // Not JSON, a bad record line, no such folder, a folder with nothing in it: one line each.
    writeFileSync(join(bad, 'summary.json'), '{ not json')
    await expect(loadReportInputs([bad])).rejects.toThrow(/summary\.json: not valid JSON/)
    cpSync(join(dirs.bench, 'summary.json'), join(bad, 'summary.json'))
    writeFileSync(join(bad, 'records.jsonl'), `${readFileSync(join(dirs.bench, 'records.jsonl'), 'utf8').split('\n')[0]}\n{"id": -1}\n`)
    const inputs = await loadReportInputs([bad])
    await expect(buildReportModel(inputs)).rejects.toThrow(/records\.jsonl:2: id: /)
    await expect(loadReportInputs([join(work, 'missing')])).rejects.toThrow(/^from .*missing: no such file or folder/)
    mkdirSync(join(work, 'empty'), { recursive: true })
    await expect(loadReportInputs([join(work, 'empty')])).rejects.toThrow(/no geopat output found/)
  })
})

describe.skipIf(!browserTestsRun)('the report in headless Chromium', () => {
  it('renders with no console error and no network request, runs nothing, shows the hostile label as text', async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: .ci/run installs Debian's chromium`).toBe(true)
    expect(html.length, 'the report was not written').toBeGreaterThan(0)
    const screenshot = join(ARTIFACTS, 'report.png')
    const facts = await openInChromium(reportFile, screenshot, (page) => page.getByRole('cell', { name: XSS_LABEL, exact: true }).first().isVisible())
    expect(facts.requests).toEqual([])
    expect(facts.problems).toEqual([])
    expect(facts.dialogs).toEqual([])
    expect(facts.images).toBe(0)
    expect(facts.scripts).toBe(0)
    expect(facts.charts.length).toBeGreaterThanOrEqual(12)
    for (const chart of facts.charts) {
      expect(chart.title.length, JSON.stringify(chart).slice(0, 200)).toBeGreaterThan(0)
      expect(chart.width).toBeGreaterThan(200)
      if (chart.kind === 'graph') continue
      expect(chart.texts).toContain(chart.x)
      expect(chart.texts).toContain(chart.y)
    }
    // The label reads as text, in a table cell and inside a chart.
    expect(facts.inspected).toBe(true)
    expect(facts.charts.some((c) => c.texts.some((t) => t.includes(XSS_LABEL)))).toBe(true)
    expect(statSync(screenshot).size).toBeGreaterThan(10_000)
  })
})
