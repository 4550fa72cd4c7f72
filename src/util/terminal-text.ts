/**
 * Text from outside geopat (a model id, an error message from a server) made safe to print on a
 * terminal: escape sequences (ANSI CSI, OSC such as hyperlinks or window titles, DCS and friends)
 * are removed, and every other C0/C1 control character, DEL and the Unicode bidirectional
 * overrides are shown as visible escapes (`\x07`, `\u202e`), so a server cannot move the cursor,
 * rewrite what was printed, hide text or plant a link.
 */
const ESCAPE_SEQUENCE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching terminal control characters is what this regex is for
  /\x1b\][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?|\x9d[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?|\x1b[P^_X][^\x1b\x9c]*(?:\x1b\\|\x9c)?|[\x90\x98\x9e\x9f][^\x1b\x9c]*(?:\x1b\\|\x9c)?|(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?|\x1b[ -~]?/g
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching terminal control characters is what this regex is for
const CONTROL = /[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching terminal control characters is what this regex is for
const CONTROL_BUT_LINE_BREAKS = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g

function visible(char: string): string {
  const code = char.charCodeAt(0)
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`
}

/**
 * `text` safe for a terminal. With `multiline`, line feeds and tabs stay (for tables and
 * multi-line logs); otherwise they are escaped too (one field, one line).
 */
export function forTerminal(text: string, options: { multiline?: boolean } = {}): string {
  const withoutSequences = text.replace(ESCAPE_SEQUENCE, '')
  return withoutSequences.replace(options.multiline ? CONTROL_BUT_LINE_BREAKS : CONTROL, visible)
}
