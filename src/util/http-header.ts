/** The first value of an HTTP header that Node or undici may give as a list (repeated headers). */
export function firstHeaderValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}
