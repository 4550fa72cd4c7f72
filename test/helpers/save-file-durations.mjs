// Writes test/file-durations.json from this checkout's vitest cache: each test file's duration in its
// last run (ms, rounded), for test/helpers/longest-first-sequencer.ts to order a fresh clone's run.
// Run after a full `npm test`: `npm run test:durations`.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'

const cacheRoot = 'node_modules/.vite/vitest'
const durations = {}
for (const folder of existsSync(cacheRoot) ? readdirSync(cacheRoot) : []) {
  const file = `${cacheRoot}/${folder}/results.json`
  if (!existsSync(file)) continue
  for (const [key, result] of JSON.parse(readFileSync(file, 'utf8')).results) {
    const path = key.slice(key.indexOf(':') + 1)
    if (existsSync(path)) durations[path] = Math.round(result.duration)
  }
}
const sorted = Object.fromEntries(Object.entries(durations).sort(([a], [b]) => a.localeCompare(b)))
writeFileSync('test/file-durations.json', `${JSON.stringify(sorted, null, 2)}\n`)
console.log(`test/file-durations.json: ${Object.keys(sorted).length} files`)
