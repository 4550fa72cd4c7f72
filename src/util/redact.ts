/**
 * Redaction of secrets from any text that came from a server or an error, before it is cut short,
 * stored in a record, a summary or a log line, or printed.
 *
 * The secrets of a run are the API key and every request header value the user gave (any header
 * may carry a credential: `Authorization`, `api-key`, `x-api-key`, a gateway cookie), plus anything
 * shaped like a credential (`Bearer …`, `Basic …`, `sk-…`) whoever sent it.
 */
const REDACTED = '[redacted]'

/** Secret values shorter than this are not searched for: they would wipe out ordinary words. */
const MIN_SECRET_LENGTH = 4

/** Credentials recognised by their shape. */
const KEY_SHAPED: ReadonlyArray<[RegExp, string]> = [
  [/\b(Bearer|Basic|Token)(\s+)[A-Za-z0-9._~+/=-]{6,}/gi, `$1$2${REDACTED}`],
  [/\bsk-[A-Za-z0-9_-]{6,}/g, REDACTED],
]

/** The secrets to hide: `values` that are long enough, longest first (so a value inside another goes second). */
export function secretList(values: ReadonlyArray<string | undefined>): string[] {
  const secrets = new Set<string>()
  const add = (value: string | undefined): void => {
    const trimmed = value?.trim()
    if (trimmed && trimmed.length >= MIN_SECRET_LENGTH) secrets.add(trimmed)
  }
  for (const value of values) {
    add(value)
    // `Authorization: Bearer TOKEN`: a server may echo the token alone; `Basic` carries user:password.
    const credential = value?.trim().match(/^(Bearer|Basic|Token)\s+(\S+)$/i)
    if (credential) {
      add(credential[2])
      if (credential[1]?.toLowerCase() === 'basic') {
        const decoded = Buffer.from(credential[2] as string, 'base64').toString('utf8')
        add(decoded)
        add(decoded.slice(decoded.indexOf(':') + 1))
      }
    }
  }
  return [...secrets].sort((a, b) => b.length - a.length)
}

/**
 * `text` with every secret and key-shaped token replaced by [redacted]. A text that ends with the
 * start of a secret (a server or a buffer cut it) loses that start too.
 */
export function redactText(text: string, secrets: readonly string[]): string {
  let result = text
  for (const secret of secrets) {
    if (result.includes(secret)) result = result.split(secret).join(REDACTED)
  }
  for (const [pattern, replacement] of KEY_SHAPED) result = result.replace(pattern, replacement)
  for (const secret of secrets) {
    for (let length = Math.min(secret.length - 1, result.length); length >= MIN_SECRET_LENGTH; length--) {
      if (result.endsWith(secret.slice(0, length))) {
        result = result.slice(0, result.length - length) + REDACTED
        break
      }
    }
  }
  return result
}

/** Redacts, then cuts to `max` characters (never the other way round: a cut could split a secret). */
export function redactAndCut(text: string, secrets: readonly string[], max: number): string {
  const redacted = redactText(text, secrets)
  return redacted.length > max ? `${redacted.slice(0, max)}…` : redacted
}
