/**
 * Rows of cells as aligned text columns for a terminal: each column as wide as its widest cell, two
 * spaces between columns, right-aligned where `rightAligned(column)` says so, trailing spaces cut.
 */
export function alignColumns(rows: ReadonlyArray<readonly string[]>, rightAligned: (column: number) => boolean): string[] {
  const widths: number[] = []
  for (const row of rows) {
    row.forEach((cell, column) => {
      widths[column] = Math.max(widths[column] ?? 0, cell.length)
    })
  }
  return rows.map((row) =>
    row
      .map((cell, column) => (rightAligned(column) ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd(),
  )
}
