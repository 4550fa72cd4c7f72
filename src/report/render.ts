import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import Handlebars from 'handlebars'
import { PACKAGE_ROOT } from '../util/version.js'
import { isChartSvg } from './chart-book.js'
import type { ReportModel, Tone } from './model.js'

export const TEMPLATE_DIR = join(PACKAGE_ROOT, 'templates')

const TONE_WORDS: Record<NonNullable<Tone>, string> = { good: 'good', warn: 'check', bad: 'problem' }

/**
 * A Handlebars environment of its own (no global helpers or partials), in strict mode: a template
 * that names a field the model lacks fails at render time instead of printing nothing. Every
 * {{ }} escapes; the one exception is `{{svg chart}}`, which inserts only SVG made by charts.ts
 * (it refuses anything else), so no text from a server, a scenario or a user is ever inserted
 * unescaped. The templates use no triple-stash (a test checks).
 */
export function createRenderer(templateDir = TEMPLATE_DIR): (model: ReportModel) => string {
  const hb = Handlebars.create()
  hb.registerHelper('svg', (chart: unknown) => {
    if (!isChartSvg(chart)) throw new Error('svg helper: only charts made by src/report/charts.ts can be inserted')
    return new hb.SafeString(chart.svg)
  })
  hb.registerHelper('toneWord', (tone: Tone) => (tone ? TONE_WORDS[tone] : ''))
  hb.registerHelper('cellClass', (columns: Array<{ numeric: boolean; mono: boolean }>, index: number) => {
    const column = columns[index]
    return column?.numeric ? 'num' : column?.mono ? 'mono' : ''
  })
  hb.registerHelper('plural', (count: number, one: string, many: string) => (count === 1 ? one : many))
  const partialDir = join(templateDir, 'partials')
  for (const name of readdirSync(partialDir)
    .filter((f) => f.endsWith('.hbs'))
    .sort()) {
    hb.registerPartial(name.slice(0, -'.hbs'.length), readFileSync(join(partialDir, name), 'utf8'))
  }
  hb.registerPartial('styles', readFileSync(join(templateDir, 'report.css'), 'utf8'))
  const layout = hb.compile(readFileSync(join(templateDir, 'report.hbs'), 'utf8'), { strict: true, noEscape: false })
  return (model) => layout(model)
}
