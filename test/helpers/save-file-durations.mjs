// Writes test/file-durations.json, each test file's duration in a full run (ms, rounded), for
// test/helpers/longest-first-sequencer.ts. From the JSON report of a full run:
//   npm test -- --reporter=default --reporter=json --outputFile=/tmp/report.json
//   npm run test:durations -- /tmp/report.json
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { relative } from 'node:path'

const reportFile = process.argv[2]
if (!reportFile || !existsSync(reportFile)) {
  console.error('usage: npm run test:durations -- REPORT.json (the JSON report of a full vitest run)')
  process.exit(2)
}
const report = JSON.parse(readFileSync(reportFile, 'utf8'))
const durations = Object.fromEntries(
  report.testResults
    .map((file) => [relative(process.cwd(), file.name), Math.round(file.endTime - file.startTime)])
    .filter(([path]) => existsSync(path))
    .sort(([a], [b]) => a.localeCompare(b)),
)
writeFileSync('test/file-durations.json', `${JSON.stringify(durations, null, 2)}\n`)
console.log(`test/file-durations.json: ${Object.keys(durations).length} files`)
