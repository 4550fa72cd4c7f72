import { readFile } from 'node:fs/promises'
import { XMLParser, XMLValidator } from 'fast-xml-parser'
import type { FxRateRow } from '../../io/schema/catalog.js'
import type { PriceSource, SourceContext, SourceResult } from './source.js'

/**
 * The ECB's euro foreign exchange reference rates, as the ECB publishes them for download
 * (https://www.ecb.europa.eu/stats/policy_and_exchange_rates/euro_reference_exchange_rates/html/index.en.html):
 * eurofxref-daily.xml holds the latest working day, eurofxref-hist-90d.xml the last 90 days. Both
 * are a gesmes:Envelope whose Cube holds one Cube per day (attribute time, YYYY-MM-DD), each holding
 * one Cube per currency (attributes currency and rate: units of the currency one euro buys).
 * The source returns every currency of the latest day as an FX rate EUR → currency, no catalog rows.
 */
const DEFAULT_BASE_URL = 'https://www.ecb.europa.eu'
export const DAILY_PATH = '/stats/eurofxref/eurofxref-daily.xml'
const HIST_90D_PATH = '/stats/eurofxref/eurofxref-hist-90d.xml'
const DOCUMENTATION = 'https://www.ecb.europa.eu/stats/policy_and_exchange_rates/euro_reference_exchange_rates/html/index.en.html'

/** The file name of the saved daily file (`--save-responses`). */
export const SAVED_FILE = 'ecb.xml'

const baseOf = (context: SourceContext): string => (context.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '')

export const ecbSource: PriceSource = {
  name: 'ecb',
  description: `ECB euro foreign exchange reference rates, eurofxref-daily.xml (${DOCUMENTATION})`,
  defaultBaseUrl: DEFAULT_BASE_URL,

  async fetch(context) {
    const url = `${baseOf(context)}${DAILY_PATH}`
    context.log(`ecb: GET ${url}`)
    const text = await context.http.getText(url)
    const { date, rates } = parseReferenceRates(text, url)
    // --save-responses: the file as published, which readFile reads back (ecb.xml).
    await context.saveResponses?.saveText(SAVED_FILE, text)
    return result(date, rates, url, url, context)
  },

  async readFile(path, context) {
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch (error) {
      throw new Error(`${path}: cannot read the ECB reference rates file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
    }
    context.log(`ecb: read ${path}`)
    const { date, rates, days } = parseReferenceRates(text, path)
    // The file is the daily one or the 90-day history: the rates' address is the one it was published at.
    const sourceUrl = `${baseOf(context)}${days > 1 ? HIST_90D_PATH : DAILY_PATH}`
    return result(date, rates, sourceUrl, path, context)
  },
}

function result(date: string, rates: Array<{ currency: string; rate: number }>, sourceUrl: string, location: string, context: SourceContext): SourceResult {
  const fxRates: FxRateRow[] = rates.map(({ currency, rate }) => ({
    base: 'EUR',
    quote: currency,
    rate,
    date,
    source: `ECB euro foreign exchange reference rate of ${date}: 1 EUR = ${rate} ${currency} (${DOCUMENTATION})`,
    confidence: 'high',
    sourceUrl,
    fetchedAt: context.fetchedAt.toISOString(),
  }))
  return { rows: [], fxRates, unmapped: [], location }
}

interface ReferenceRates {
  /** The latest day in the file (YYYY-MM-DD). */
  date: string
  rates: Array<{ currency: string; rate: number }>
  /** Days in the file (1 for eurofxref-daily.xml). */
  days: number
}

/**
 * The latest day's rates of an ECB reference-rate file, each checked: well-formed XML, the Envelope →
 * Cube → Cube time → Cube currency/rate layout, a real date, a three-letter currency, a rate above 0.
 * Anything else is one line naming `where` (the URL or file) and the currency or field.
 */
function parseReferenceRates(text: string, where: string): ReferenceRates {
  const valid = XMLValidator.validate(text)
  if (valid !== true) throw new Error(`${where}: not well-formed XML (line ${valid.err.line}: ${valid.err.msg})`)
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@',
    removeNSPrefix: true,
    parseAttributeValue: false,
    isArray: (name) => name === 'Cube',
  })
  const document = parser.parse(text) as { Envelope?: { Cube?: Array<{ Cube?: unknown }> } }
  const outer = document.Envelope?.Cube?.[0]
  if (!document.Envelope || !outer) throw new Error(`${where}: no gesmes:Envelope with a Cube (not an ECB reference rates file)`)
  const days = (outer.Cube ?? []) as Array<Record<string, unknown>>
  if (days.length === 0) throw new Error(`${where}: Cube holds no day (Cube time="YYYY-MM-DD")`)
  let latest: { date: string; cube: Record<string, unknown> } | undefined
  for (const day of days) {
    const time = day['@time']
    if (typeof time !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(time) || Number.isNaN(Date.parse(time))) {
      throw new Error(`${where}: a day's Cube has ${time === undefined ? 'no time' : `time "${String(time)}"`}: must be a date YYYY-MM-DD`)
    }
    if (!latest || time > latest.date) latest = { date: time, cube: day }
  }
  if (!latest) throw new Error(`${where}: Cube holds no day`)
  const { date, cube } = latest
  const entries = (cube.Cube ?? []) as Array<Record<string, unknown>>
  if (entries.length === 0) throw new Error(`${where}: the day ${date} holds no rate (Cube currency= rate=)`)
  const seen = new Set<string>()
  const rates = entries.map((entry) => {
    const currency = entry['@currency']
    if (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency))
      throw new Error(`${where}: ${date}: currency "${String(currency ?? '')}" must be a three-letter ISO 4217 code`)
    if (seen.has(currency)) throw new Error(`${where}: ${date}: ${currency} is given twice`)
    seen.add(currency)
    const text = entry['@rate']
    const rate = typeof text === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(text) ? Number(text) : Number.NaN
    if (!(rate > 0)) throw new Error(`${where}: ${date}: ${currency}: rate "${String(text ?? '')}" must be a number above 0`)
    return { currency, rate }
  })
  return { date, rates, days: days.length }
}
