import type { z } from 'zod'

/**
 * For a superRefine: each element of `items` (the list at `listName`) whose `key` an earlier one
 * already has is an issue at [listName, index, key]: "VALUE is given twice" and `more`.
 */
export function refuseRepeated<T>(ctx: z.RefinementCtx, items: readonly T[], listName: string, key: keyof T & string, more = ''): void {
  const seen = new Set<unknown>()
  items.forEach((item, index) => {
    const value = item[key]
    if (seen.has(value)) ctx.addIssue({ code: 'custom', path: [listName, index, key], message: `${String(value)} is given twice${more}` })
    seen.add(value)
  })
}
