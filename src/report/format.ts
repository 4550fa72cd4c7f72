/**
 * Number formatting for the report: one locale (en-US grouping, fixed), a precision that follows
 * the magnitude, and intervals written beside their estimate. Every figure the templates show is a
 * string made here, so that the templates hold no arithmetic.
 */

const groupers = new Map<number, Intl.NumberFormat>()

function grouper(decimals: number): Intl.NumberFormat {
  let format = groupers.get(decimals)
  if (!format) {
    format = new Intl.NumberFormat('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals, useGrouping: true })
    groupers.set(decimals, format)
  }
  return format
}

/** Decimals that keep about three significant digits (no decimals from 100 up). */
function autoDecimals(value: number): number {
  const magnitude = Math.abs(value)
  if (magnitude >= 100 || magnitude === 0) return 0
  if (magnitude >= 10) return 1
  if (magnitude >= 1) return 2
  if (magnitude >= 0.01) return 3
  return 4
}

/** A number with grouping and a magnitude-dependent precision; '–' for null or non-finite. */
export function num(value: number | null | undefined, decimals?: number): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–'
  const text = grouper(decimals ?? autoDecimals(value)).format(value)
  // "-0" reads as a sign error.
  return text === '-0' || /^-0\.0*$/.test(text) ? text.slice(1) : text
}

const plainFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 3, useGrouping: true })

/** A number as written by hand: no trailing zeros ("1", "0.5", "1,500"). */
export function plain(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–'
  return plainFormat.format(Number(value.toPrecision(6)))
}

/** A number with its unit ("111 ms", "6.34 req/s"); '–' for null. */
export function withUnit(value: number | null | undefined, unit: string, decimals?: number): string {
  const text = num(value, decimals)
  if (text === '–' || unit === '') return text
  return unit === '%' ? `${text}%` : `${text} ${unit}`
}

/** A share (0–1) as a percentage. */
export function pct(share: number | null | undefined, decimals = 1): string {
  if (share === null || share === undefined || !Number.isFinite(share)) return '–'
  return `${num(share * 100, decimals)}%`
}

/** "low–high unit", the decimals of both ends chosen from their spread; one value when both ends read the same. */
export function range(low: number | null, high: number | null, unit = ''): string {
  if (low === null && high === null) return '–'
  const integers = (low === null || Number.isInteger(low)) && (high === null || Number.isInteger(high))
  const spread = low !== null && high !== null ? Math.abs(high - low) : Math.abs(low ?? high ?? 0)
  // Two significant digits of the spread: enough to tell the ends apart, no false precision.
  const decimals = integers ? 0 : spread > 0 ? Math.min(4, Math.max(0, Math.ceil(-Math.log10(spread)) + 1)) : autoDecimals(low ?? high ?? 0)
  // A negative end takes the minus sign (−) and the ends are joined by "to":
  // "−1,229,913 to −816,530", never "-1,229,913–-816,530".
  const end = (v: number | null): string => {
    if (v === null) return '∞'
    return v < 0 && num(-v, decimals) !== num(0, decimals) ? `−${num(-v, decimals)}` : num(v, decimals)
  }
  const negative = (low !== null && low < 0) || (high !== null && high < 0)
  const text = low !== null && high !== null && end(low) === end(high) ? end(low) : `${end(low)}${negative ? ' to ' : '–'}${end(high)}`
  return unit === '' ? text : unit === '%' ? `${text}%` : `${text} ${unit}`
}

/** An estimate and its interval: "111 ms (95% CI 109–116)". */
export function estimate(
  value: number | null | undefined,
  interval: { low: number | null; high: number | null; confidence?: number | null } | null | undefined,
  unit = '',
): string {
  const head = withUnit(value, unit)
  if (!interval || (interval.low === null && interval.high === null)) return head
  const confidence = interval.confidence ?? 0.95
  return `${head} (${num(confidence * 100, 0)}% CI ${range(interval.low, interval.high)})`
}

/** A signed difference ("+4.6 ms", "−0.3 ms"). */
export function signed(value: number | null | undefined, unit = ''): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–'
  const text = withUnit(Math.abs(value), unit)
  if (num(Math.abs(value)) === '0') return text
  return value < 0 ? `−${text}` : `+${text}`
}

/** A ratio as a percentage change: 1.07 → "+7.0%". */
export function ratioChange(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '–'
  return signed((ratio - 1) * 100, '%')
}

/** A byte count: "812 KiB". */
export function bytes(count: number): string {
  if (count < 1024) return `${count} B`
  if (count < 1024 * 1024) return `${num(count / 1024, 1)} KiB`
  return `${num(count / 1024 / 1024, 2)} MiB`
}
