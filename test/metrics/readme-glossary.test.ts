import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { METRICS } from '../../src/metrics/definitions.js'
import { readmeWithGlossary } from '../../src/metrics/update-readme.js'
import { REPO_ROOT } from '../helpers/cli.js'

describe('README glossary', () => {
  it('is the one generated from src/metrics/definitions.ts (run `npm run docs` after changing a metric)', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8')
    expect(readmeWithGlossary(readme)).toBe(readme)
    for (const metric of METRICS) expect(readme).toContain(metric.formula)
  })
})
