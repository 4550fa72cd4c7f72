import { readFileSync } from 'node:fs'
import { relative } from 'node:path'
import { BaseSequencer, type TestSpecification } from 'vitest/node'

/**
 * Test files in longest-first order across projects (`unit` and `integration` share one group of
 * three workers). Vitest's own order runs the projects of a group one after the other, by name: every
 * `integration` file, then every `unit` file, so the longest unit file (fit.test.ts, ~36 s) started
 * two minutes in and ran alone at the end. Longest first over the whole group keeps the three
 * workers busy to the end (the classic rule for scheduling jobs on parallel machines).
 *
 * A file's expected duration is its duration in this checkout's vitest cache (node_modules/.vite),
 * else its duration in test/file-durations.json (committed, so that a fresh clone orders as well as
 * a warm checkout; refresh it with `npm run test:durations` after a full run). A file known to
 * neither runs first, as vitest does with an unknown file; a file that failed last time runs first
 * too. The order changes when files run, never what they assert.
 */
export default class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root
    const committed = committedDurations(`${root}/test/file-durations.json`)
    const known = (spec: TestSpecification): { durationMs: number; failed: boolean } => {
      const path = relative(root, spec.moduleId)
      const cached = this.ctx.cache.getFileTestResults(`${spec.project.name}:${path}`)
      if (cached) return { durationMs: cached.duration, failed: cached.failed }
      return { durationMs: committed[path] ?? Number.POSITIVE_INFINITY, failed: false }
    }
    return [...files].sort((a, b) => {
      const groupOrder = a.project.config.sequence.groupOrder - b.project.config.sequence.groupOrder
      if (groupOrder !== 0) return groupOrder
      const [first, second] = [known(a), known(b)]
      if (first.failed !== second.failed) return first.failed ? -1 : 1
      if (first.durationMs === second.durationMs) return 0
      return first.durationMs > second.durationMs ? -1 : 1
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
