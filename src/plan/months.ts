/** Months as integers (year × 12 + month − 1), so that spans are plain arithmetic. */
export function monthIndex(month: string): number {
  const [year, monthOfYear] = month.split('-').map(Number) as [number, number]
  return year * 12 + monthOfYear - 1
}

export function monthName(index: number): string {
  const year = Math.floor(index / 12)
  return `${year}-${String((index % 12) + 1).padStart(2, '0')}`
}

/** The month a date (YYYY-MM-DD or YYYY-MM) falls in. */
export function monthOfDate(date: string): number {
  return monthIndex(date.slice(0, 7))
}

/** True when the whole of `month` lies on or before `date` (its last day is not after it). */
export function monthEndsBy(month: number, date: string): boolean {
  const lastDay = new Date(Date.UTC(Math.floor(month / 12), (month % 12) + 1, 0))
  const deadline = new Date(`${date.length === 7 ? `${date}-01` : date}T00:00:00Z`)
  return lastDay.getTime() <= deadline.getTime()
}
