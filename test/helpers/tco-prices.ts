import type { CatalogRow } from '../../src/io/schema/catalog.js'
import type { PriceSource } from '../../src/tco/compile.js'
import { UserError } from '../../src/util/errors.js'

/**
 * A TCO price source for tests: the test's own catalog rows, one EUR/USD rate (both directions,
 * any other pair refused as the catalog refuses it) and default discounts off on-demand by pricing
 * model. The figures are the test's, so its expectations can be recomputed from them by hand.
 */
export function stubPrices(options: {
  rows?: readonly CatalogRow[]
  eurPerUsd: number
  discounts?: Partial<Record<CatalogRow['pricingModel'], number>>
}): PriceSource {
  return {
    row: (id) => options.rows?.find((row) => row.id === id),
    rate: (from, to, context) => {
      if (from === 'USD' && to === 'EUR') return options.eurPerUsd
      if (from === 'EUR' && to === 'USD') return 1 / options.eurPerUsd
      throw new UserError(`${context}: no exchange rate from ${from} to ${to}`)
    },
    discount: (pricingModel) => {
      const fraction = options.discounts?.[pricingModel]
      return fraction === undefined ? undefined : { fraction, source: 'test' }
    },
  }
}
