/**
 * The price catalog: the one place the rest of geopat imports it from. Loading and the files
 * (catalog-load.ts), which row of an offer prices it (catalog-supersede.ts), freshness and the
 * in-force check (catalog-freshness.ts), price queries and filters (catalog-queries.ts), the list
 * and validate results (catalog-list.ts); their human output is the cli's (src/cli/render/catalog.ts).
 */
export { STALE_AFTER_DAYS, convertCurrency, findConversion, type FxTable } from './fx.js'
export type { Catalog, CatalogEntry, SupersededRow } from './catalog-types.js'
export { builtInCatalogFiles, builtInFxFiles, loadCatalog } from './catalog-load.js'
export { assertInForce, notInForce, staleRows } from './catalog-freshness.js'
export { EU_MEMBER_STATES, defaultDiscount, filterRows, gpuHourPriceWithConversion, pricePerGpuHour, similarIds, tokenPrice } from './catalog-queries.js'
export { type CatalogListResult, type CatalogValidation, type ListedRow, listCatalog, parseAsOf, parseCurrency, validateCatalogFiles } from './catalog-list.js'
