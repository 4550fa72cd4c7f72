/**
 * One CSV cell (RFC 4180 quoting): empty for null, numbers with at most four decimals. A text (not
 * a number) starting with =, +, -, @, a tab or CR gets a leading ' so that a spreadsheet shows it
 * instead of running it as a formula (OWASP "CSV injection"): model ids and labels come from
 * servers and files. Numbers, negative ones included, stay numbers.
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'number') return quoted(Number.isInteger(value) ? String(value) : value.toFixed(4))
  const text = String(value)
  return quoted(/^[=+\-@\t\r]/.test(text) ? `'${text}` : text)
}

/** A number already rendered (fixed digits), as a cell: never neutralized, since it is a number. */
export function csvNumberCell(value: number | null | undefined, digits: number): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '' : value.toFixed(digits)
}

function quoted(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

/** A whole CSV file: the header, then one line per row. */
export function csvTable(header: readonly string[], rows: ReadonlyArray<readonly unknown[]>): string {
  return `${[header.map(csvCell).join(','), ...rows.map((row) => row.map(csvCell).join(','))].join('\n')}\n`
}
