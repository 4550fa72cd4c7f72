import { createRequire } from 'node:module'
import type { EChartsOption } from 'echarts'

// ECharts' one-file CommonJS build: the same library as its ES modules, which are hundreds of files
// that take ~0.5 s of CPU to load at every start of the CLI (this one, ~0.1 s).
const echarts = createRequire(import.meta.url)('echarts') as typeof import('echarts')

/**
 * Charts rendered to SVG strings with Apache ECharts' server-side renderer, to be inlined in the
 * report: no script, no font or image fetched, animation off, the same input giving the same
 * bytes. ECharts escapes every text it writes (titles, axis names, legend and category labels);
 * `finish` checks the result anyway and refuses anything that could run or load.
 */

/** An SVG made here: the only HTML the templates insert unescaped (through the `svg` helper). */
export interface ChartSvg {
  readonly kind: ChartKind
  readonly title: string
  readonly svg: string
}
export type ChartKind = 'line' | 'scatter' | 'interval' | 'bar' | 'gantt' | 'graph'

const made = new WeakSet<ChartSvg>()

/**
 * Text widths for ECharts' layout (legends, truncated labels, axis-name gaps). Without a canvas it
 * measures with Helvetica's widths, narrower than the sans-serif fonts a reader's machine may fall
 * back to (DejaVu Sans on Linux is ~12% wider), and legend entries then overlap. These widths are
 * DejaVu's, so layout leaves room for any common sans-serif.
 */
function measureTextWidth(text: string, font?: string): number {
  const size = Number(/(\d+(?:\.\d+)?)px/.exec(font ?? '')?.[1] ?? 12)
  const bold = /bold|[6-9]00/.test(font ?? '') ? 1.08 : 1
  let width = 0
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0
    let em: number
    if (char === ' ') em = 0.32
    else if (/[il.,:;'|!]/.test(char)) em = 0.3
    else if (/[fjrt()[\]{}-]/.test(char)) em = 0.4
    else if (/[mwMW]/.test(char)) em = 0.9
    else if (/[A-Z]/.test(char)) em = 0.7
    else if (/[0-9]/.test(char)) em = 0.64
    else if (code < 0x2000) em = 0.6
    else em = 1
    width += em * size
  }
  return width * bold
}

echarts.setPlatformAPI({ measureText: (text: string, font?: string) => ({ width: measureTextWidth(text, font) }) })

export function isChartSvg(value: unknown): value is ChartSvg {
  return typeof value === 'object' && value !== null && made.has(value as ChartSvg)
}

/** A fixed palette (colour-blind-safe Okabe–Ito order), so colours do not depend on ECharts' theme. */
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442']

export const FONT = 'Helvetica, Arial, sans-serif'
export const WIDTH = 720

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string)
}

/** Numbering of the charts of one report: ECharts' own ids count per process, these per report. */
export class ChartBook {
  private count = 0

  render(
    kind: ChartKind,
    title: string,
    axes: { x: string; y: string } | null,
    option: EChartsOption,
    size: { width?: number; height?: number } = {},
  ): ChartSvg {
    const width = size.width ?? WIDTH
    const height = size.height ?? 340
    const chart = echarts.init(null, undefined, { renderer: 'svg', ssr: true, width, height })
    let svg: string
    try {
      chart.setOption({
        animation: false,
        backgroundColor: '#ffffff',
        color: PALETTE,
        textStyle: { fontFamily: FONT, fontSize: 12, color: '#222' },
        title: { text: title, left: 'center', top: 4, textStyle: { fontSize: 14, fontWeight: 'bold', color: '#111' } },
        ...option,
      })
      svg = chart.renderToSVGString()
    } finally {
      chart.dispose()
    }
    const index = ++this.count
    return finish(kind, title, axes, svg, index)
  }
}

/**
 * Makes ECharts' SVG fit for inlining: no namespace URLs (an inline <svg> needs none, and the report
 * holds no URL of its own), report-local ids, a <title>, and the axis names as data for tests and
 * screen readers. Throws when the markup holds anything that could run or load.
 */
function finish(kind: ChartKind, title: string, axes: { x: string; y: string } | null, raw: string, index: number): ChartSvg {
  // zrender numbers its CSS classes and clip paths per process: renumber them per chart.
  const renamed = new Map<string, string>()
  let svg = raw
    .replace(/\s+xmlns(:xlink)?="[^"]*"/g, '')
    .replace(/\bzr\d+-([a-z]+)-?(\d+)\b/g, (token: string, kind: string) => {
      let name = renamed.get(token)
      if (!name) {
        name = `c${index}-${kind}${renamed.size}`
        renamed.set(token, name)
      }
      return name
    })
    .replace(/\n/g, '')
  const attributes = [
    'class="chart"',
    'role="img"',
    `aria-label="${escapeXml(title)}"`,
    `data-kind="${kind}"`,
    ...(axes ? [`data-x-axis="${escapeXml(axes.x)}"`, `data-y-axis="${escapeXml(axes.y)}"`] : []),
  ].join(' ')
  svg = svg.replace(/^<svg\b([^>]*)>/, (_match, rest: string) => `<svg ${attributes}${rest}><title>${escapeXml(title)}</title>`)
  const unsafe = unsafeMarkup(svg)
  if (unsafe) throw new Error(`chart "${title}": the SVG holds markup that could run or load something (${unsafe})`)
  const chart: ChartSvg = { kind, title, svg }
  made.add(chart)
  return chart
}

/**
 * The first tag (or style sheet rule) of an SVG string that could run a script or load anything:
 * script, foreignObject, image, a, use, any on* handler, href, url() to anything but a local #id,
 * @import. Text between tags is not looked at: ECharts escapes it, so it holds no '<'.
 */
export function unsafeMarkup(svg: string): string | null {
  for (const match of svg.matchAll(/<[^>]*>/g)) {
    const tag = match[0]
    const name = /^<\/?\s*([^\s/>]+)/.exec(tag)?.[1] ?? ''
    if (/^(script|foreignObject|image|a|use|iframe|object|embed)$/i.test(name)) return tag.slice(0, 60)
    for (const attribute of tag.matchAll(/\s([^\s="'/>]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>]+))?/g)) {
      const key = attribute[1] ?? ''
      const value = attribute[2] ?? ''
      if (/^on/i.test(key) || /(^|:)href$/i.test(key)) return `${name} ${key}`
      if (/url\(\s*['"]?(?!#)|javascript:|expression\(/i.test(value)) return `${name} ${key}`
    }
  }
  for (const style of svg.matchAll(/<style[^>]*>([\s\S]*?)<\/style>/gi)) {
    if (/@import|url\(\s*['"]?(?!#)|expression\(/i.test(style[1] ?? '')) return 'style sheet'
  }
  return null
}

// ---------------------------------------------------------------------------------------------
// The chart types the report uses.
