import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

/**
 * Size limits of #19 on src/: no file over 400 lines and no line over 160 characters (characters,
 * not bytes: `≤` is one). The tree is formatted (`npm run lint` runs `biome check`, which fails on
 * any file the formatter would change), so the files are measured as they are. A file may break a
 * limit only while it is listed below with a one-line reason. An entry whose file meets the limit
 * again fails the test, so the lists only shrink. Functions (80 lines) and complexity (25) are
 * Biome's rules.
 */
const MAX_LINES = 400
const MAX_LINE_LENGTH = 160

/** Files over MAX_LINES lines, each with why. */
const LONG_FILES: Record<string, string> = {}

/** Files with lines over MAX_LINE_LENGTH characters that the formatter cannot break, each with why. */
const LONG_LINES: Record<string, string> = {
  'src/util/terminal-text.ts': 'one regular expression of terminal escape sequences, clearer whole than split',
}

/** Every .ts file under src/, by its path relative to the repository root. */
function sources(): Map<string, string> {
  const files = (readdirSync('src', { recursive: true }) as string[]).map((path) => path.split('\\').join('/')).filter((path) => path.endsWith('.ts'))
  return new Map(files.sort().map((path) => [`src/${path}`, readFileSync(join('src', path), 'utf8')]))
}

const lineCount = (text: string): number => text.split('\n').length - (text.endsWith('\n') ? 1 : 0)
const longestLine = (text: string): number => Math.max(0, ...text.split('\n').map((line) => [...line].length))

describe('file and line size', () => {
  const tree = sources()

  it('reads the whole tree (a wrong path would pass on nothing)', () => {
    expect(tree.size).toBeGreaterThan(200)
  })

  it(`no file in src/ has more than ${MAX_LINES} lines, except those listed`, () => {
    const over = [...tree].filter(([, text]) => lineCount(text) > MAX_LINES).map(([path]) => path)
    const unlisted = over.filter((path) => !(path in LONG_FILES)).map((path) => `${path}: ${lineCount(tree.get(path) ?? '')} lines`)
    expect(unlisted, 'split these files, or list them in LONG_FILES with a reason').toEqual([])
    expect(
      Object.keys(LONG_FILES).filter((path) => !over.includes(path)),
      'these files fit now (or are gone): remove them from LONG_FILES',
    ).toEqual([])
  })

  it(`no line in src/ is longer than ${MAX_LINE_LENGTH} characters, except in the files listed`, () => {
    const over = [...tree].filter(([, text]) => longestLine(text) > MAX_LINE_LENGTH).map(([path]) => path)
    expect(
      over.filter((path) => !(path in LONG_LINES)),
      'break these lines, or list the file in LONG_LINES with a reason',
    ).toEqual([])
    expect(
      Object.keys(LONG_LINES).filter((path) => !over.includes(path)),
      'these files have no long line now (or are gone): remove them from LONG_LINES',
    ).toEqual([])
  })
})
