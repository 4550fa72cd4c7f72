/** Cells of CSV text, honouring double quotes ("" inside quotes is one "); a cell ends at any of `separators` outside quotes. */
function splitCells(text: string, separators: string): string[] {
  const out: string[] = []
  let current = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const char = text[i] as string
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        current += '"'
        i++
      } else if (char === '"') quoted = false
      else current += char
    } else if (char === '"') quoted = true
    else if (separators.includes(char)) {
      out.push(current)
      current = ''
    } else current += char
  }
  out.push(current)
  return out
}

/** A CSV line split into its cells: enough for geopat's own CSV files. */
export function cells(line: string): string[] {
  return splitCells(line, ',')
}

/** Every cell of a whole CSV text, row after row (a quoted newline stays inside its cell; after a final newline, one empty cell). */
export function allCells(text: string): string[] {
  return splitCells(text, ',\n')
}
