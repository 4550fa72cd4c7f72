/**
 * A moment written as ISO 8601 with its zone (`2026-12-06T18:30:00Z`, `…+01:00`; seconds and up
 * to nine fractional digits optional): how `geopat bench --start-at` and `geopat k8s render
 * --start-at` read it, so that render never writes a start time the shards would refuse.
 */
const ZONED_ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/

/** Unix ms of `text`, or NaN when it is not an ISO 8601 time with its zone. */
export function parseZonedIsoTime(text: string): number {
  return ZONED_ISO_TIME.test(text) ? Date.parse(text) : Number.NaN
}
