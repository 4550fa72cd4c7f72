import { STALE_AFTER_DAYS } from '../../pricing/fx.js'
import { UserError } from '../../util/errors.js'
import * as parse from './parsers.js'
import { type FlagValues, string, value } from './table.js'

/** The flags of `catalog list` and `catalog validate` that say which prices are stale: older than --max-age-days on --as-of. */
export const PRICE_AGE_FLAGS = {
  'max-age-days': value(parse.integer, { description: 'warn about prices older than this many days', default: String(STALE_AFTER_DAYS) }),
  'as-of': string({ description: 'date the ages are counted to, YYYY-MM-DD (default today)' }),
} as const

/** --max-age-days and --as-of as the staleness check takes them; a bad value is one line naming its flag. */
export async function priceAgeFromFlags(values: FlagValues<typeof PRICE_AGE_FLAGS>): Promise<{ maxAgeDays: number; asOf: Date }> {
  if (values['max-age-days'] < 1) throw new UserError('--max-age-days: must be an integer >= 1')
  const { parseAsOf } = await import('../../pricing/catalog.js')
  return { maxAgeDays: values['max-age-days'], asOf: parseAsOf(values['as-of'], '--as-of') }
}
