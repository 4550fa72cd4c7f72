import { readFileSync } from 'node:fs'
import { relative } from 'node:path'
import { BaseSequencer, type TestSpecification } from 'vitest/node'

/**
 * Test files longest first across projects (`unit` and `integration` share one group of three
 * workers). Vitest's own order runs the projects of a group one after the other, by name: every
 * `integration` file, then every `unit` file, so the longest unit file (fit.test.ts) started two
 * minutes in. Strictly longest first over the whole group is no better: a worker that is not
 * isolated is kept for the next file only if that file is of the same project, so a queue that
 * alternates projects starts a worker (process or thread, and its module loads) for nearly every
 * file (imports went from 31 to 89 s of the run). So: the longest files, two per worker, longest
 * first whatever their project; then the rest one project after another, each longest first.
 *
 * A file's expected duration is its duration in test/file-durations.json (committed: the same order
 * on every machine and in a fresh clone; refresh it from a full run's JSON report with `npm run test:durations -- REPORT.json`),
 * else in this checkout's vitest cache (node_modules/.vite: a new file's last run; not first, as a
 * run filtered by test name writes ~0 for every file it loads). A file known to neither counts as
 * long, as vitest runs an unknown file first. The order changes when files run, never what they
 * assert.
 */
export default class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root
    const committed = committedDurations(`${root}/test/file-durations.json`)
    const expectedMs = new Map<TestSpecification, number>()
    for (const spec of files) {
      const path = relative(root, spec.moduleId)
      const cached = this.ctx.cache.getFileTestResults(`${spec.project.name}:${path}`)
      expectedMs.set(spec, committed[path] ?? cached?.duration ?? Number.POSITIVE_INFINITY)
    }
    const longestFirst = (a: TestSpecification, b: TestSpecification): number => (expectedMs.get(b) ?? 0) - (expectedMs.get(a) ?? 0) || 0
    const sorted = [...files].sort(longestFirst)
    const groupOrders = [...new Set(sorted.map((spec) => spec.project.config.sequence.groupOrder))].sort((a, b) => a - b)
    return groupOrders.flatMap((order) => {
      const group = sorted.filter((spec) => spec.project.config.sequence.groupOrder === order)
      const headLength = 2 * Math.max(...group.map((spec) => spec.project.config.maxWorkers ?? 1))
      const rest = group.slice(headLength)
      const projects = [...new Set(rest.map((spec) => spec.project.name))].sort()
      return [...group.slice(0, headLength), ...projects.flatMap((name) => rest.filter((spec) => spec.project.name === name))]
    })
  }
}

/** test/file-durations.json: `{ "test/x.test.ts": milliseconds }`; none when the file is absent. */
function committedDurations(file: string): Record<string, number> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, number>
  } catch {
    return {}
  }
}
