import type { CatalogEntry } from '../../pricing/catalog-types.js'
import type { CatalogListResult, CatalogValidation, ListedRow, UsedFxRate } from '../../pricing/catalog-list.js'
import type { StaleRowWarning } from '../../pricing/catalog-freshness.js'
import { ageInDays, isoDay, parseIsoDate } from '../../pricing/fx.js'
import { describeConfirmation, lastConfirmation } from '../../pricing/provenance.js'
import { saleUnitOf } from '../../pricing/sale-unit.js'

/** The catalog commands' human output: the list's table, one row's fields, the validation's summary and warning lines. */

/** The human table of `geopat catalog list`. */
export function formatCatalogList(result: CatalogListResult): string {
  if (result.rows.length === 0) return `no catalog rows match (${result.files.length} files loaded)`
  const asOf = parseIsoDate(result.asOf)
  const header = [
    'id',
    'provider',
    'region',
    'juris.',
    'GPU',
    `price ${result.currency}`,
    'original',
    'model',
    'effective',
    'confirmed',
    'age d',
    'basis',
    'confidence',
    'SEAL',
    'CC',
  ]
  const lines = result.rows.map((row) => [
    row.id,
    row.provider,
    row.region,
    `${row.jurisdiction.region}/${row.jurisdiction.parent}`,
    row.gpu === undefined ? (row.model ?? '–') : `${row.gpu}×${row.gpuCount}`,
    listedPrice(row),
    originalPrice(row),
    row.pricingModel,
    row.effectiveDate,
    row.fetchedAt !== undefined ? `${lastConfirmation(row).date} fetched` : '–',
    String(ageInDays(lastConfirmation(row).date, asOf)),
    row.basis ?? '–',
    row.confidence,
    row.sovereignty,
    row.confidentialComputing ? 'yes' : '–',
  ])
  const table = renderTable(header, lines)
  const footer = [
    `${count(result.count, 'row')} · prices in ` +
      `${result.currency} per GPU-hour, or per million input/output tokens · SEAL levels are geopat's assessment, not a certification`,
  ]
  footer.push(`age: days from a price's last confirmation (the day it was fetched, else its effective date) to ${result.asOf}`)
  for (const row of result.rows) {
    if (row.superseded === undefined || row.superseded.length === 0) continue
    const older = row.superseded.map((other) => `${other.file} (${describeConfirmation(other)})`).join('; ')
    footer.push(`${row.id}: priced from ${row.file} (${describeConfirmation(row)}); superseded: ${older}`)
  }
  const fxUsed = new Map<string, UsedFxRate>()
  for (const row of result.rows) for (const rate of row.inCurrency.fxRates) fxUsed.set(`${rate.base}/${rate.quote}@${rate.date}`, rate)
  for (const rate of fxUsed.values()) footer.push(`converted with ${rate.base}/${rate.quote} ${rate.rate} of ${rate.date} (${rate.file})`)
  return `${table}\n${footer.join('\n')}`
}

/** Every field of one row, for `geopat catalog show`. */
export function formatCatalogEntry(row: CatalogEntry, converted?: ListedRow['inCurrency'], asOf: Date = new Date()): string {
  const lines: Array<[string, string]> = [
    ['id', row.id],
    ['provider', row.provider],
    ['sku', row.sku],
    ['region', row.region],
    ['jurisdiction', `data centres in ${row.jurisdiction.region}, parent in ${row.jurisdiction.parent}`],
    ['kind', row.kind],
  ]
  if (row.gpu !== undefined) lines.push(['gpu', `${row.gpu} × ${row.gpuCount}`])
  if (row.gpu !== undefined) {
    const sale = saleUnitOf(row)
    lines.push(['sold by', sale.soldBy === 'node' ? `whole nodes of ${sale.gpusPerNode} GPUs (a fleet rounds up to them)` : 'the GPU (no rounding to nodes)'])
  }
  if (row.model !== undefined) lines.push(['model', row.model])
  lines.push(['price', originalPrice(row, true)])
  if (converted && converted.fxRates.length > 0) {
    const rates = converted.fxRates.map((rate) => `${rate.base}/${rate.quote} ${rate.rate} of ${rate.date}`).join(', ')
    const price =
      converted.perGpuHour !== null
        ? `${money(converted.perGpuHour)}/GPU-h`
        : `${money(converted.perMtok?.input)} in / ${money(converted.perMtok?.output)} out per Mtok`
    lines.push([`in ${converted.currency}`, `${price} (${rates})`])
  } else if (row.unit === 'instance-hour' && row.price !== undefined) {
    lines.push(['per GPU-hour', `${money(row.price / row.gpuCount)} ${row.currency}`])
  }
  lines.push(['pricing model', row.pricingModel])
  lines.push(['effective date', row.effectiveDate])
  if (row.fetchedAt !== undefined) lines.push(['fetched at', row.fetchedAt])
  lines.push(['last confirmed', `${describeConfirmation(row)}; ${ageInDays(lastConfirmation(row).date, asOf)} days old on ${isoDay(asOf)}`])
  lines.push(['basis', row.basis ?? 'not given'])
  lines.push(['source', row.source])
  if (row.sourceUrl !== undefined) lines.push(['source URL', row.sourceUrl])
  if (row.providerSkuId !== undefined) lines.push(['provider SKU id', row.providerSkuId])
  lines.push(['confidence', row.confidence])
  lines.push(['confidential computing', row.confidentialComputing ? 'yes' : 'no'])
  lines.push(['sovereignty', `${row.sovereignty} (geopat's assessment, not a certification)`])
  if (row.egressPerGB !== undefined) lines.push(['egress', `${row.egressPerGB} ${row.currency}/GB, first tier`])
  if (row.notes !== undefined) lines.push(['notes', row.notes])
  lines.push(['file', row.file])
  for (const older of row.superseded ?? []) {
    lines.push([
      'superseded',
      `${older.file}: ${originalPrice(older, true)}, ${describeConfirmation(older)}${older.sourceUrl !== undefined ? `, ${older.sourceUrl}` : ''}`,
    ])
  }
  const width = Math.max(...lines.map(([key]) => key.length))
  return lines.map(([key, value]) => `${`${key}:`.padEnd(width + 2)}${value}`).join('\n')
}

export function formatValidation(result: CatalogValidation): string {
  const lines = result.files.map((file) => {
    const parts =
      file.kind === 'fx'
        ? [count(file.fxRates, 'FX rate')]
        : [count(file.rows, 'row'), ...(file.discounts > 0 ? [count(file.discounts, 'default discount')] : [])]
    return `${file.file}: valid, ${parts.join(', ')}`
  })
  lines.push(
    `${count(result.files.length, 'file')} valid: ${count(result.totals.rows, 'row')}, ${count(result.totals.fxRates, 'FX rate')}, ` +
      `${count(result.totals.discounts, 'default discount')}`,
  )
  return lines.join('\n')
}

/** Warning lines (rows not yet in force, stale rows, stale FX rates, currencies that cannot reach USD). */
export function warningLines(result: {
  staleRows: StaleRowWarning[]
  staleFxRates: Array<{ message: string }>
  unconvertible?: Array<{ message: string }>
  notInForce?: Array<{ message: string }>
}): string[] {
  return [...(result.notInForce ?? []), ...result.staleRows, ...result.staleFxRates, ...(result.unconvertible ?? [])].map(
    (warning) => `warning: ${warning.message}`,
  )
}

function listedPrice(row: ListedRow): string {
  if (row.inCurrency.perMtok) return `${money(row.inCurrency.perMtok.input)} / ${money(row.inCurrency.perMtok.output)} /Mtok`
  return `${money(row.inCurrency.perGpuHour)}/GPU-h`
}

function originalPrice(row: CatalogEntry & Partial<Pick<ListedRow, 'inCurrency'>>, always = false): string {
  const converted = row.inCurrency !== undefined && row.inCurrency.currency !== row.currency
  if (!always && !converted && row.unit !== 'instance-hour') return ''
  if (row.unit === 'mtok') return `${money(row.pricePerMtok?.input)} / ${money(row.pricePerMtok?.output)} ${row.currency}/Mtok (input / output)`
  if (row.unit === 'instance-hour') return `${money(row.price)} ${row.currency}/instance-h (${row.gpuCount} GPU${row.gpuCount === 1 ? '' : 's'})`
  return `${money(row.price)} ${row.currency}/GPU-h`
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`
}

function money(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–'
  return value !== 0 && Math.abs(value) < 0.1 ? value.toFixed(3) : value.toFixed(2)
}

function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)))
  const render = (cells: string[]): string =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd()
  return [render(header), render(widths.map((width) => '─'.repeat(width))), ...rows.map(render)].join('\n')
}
