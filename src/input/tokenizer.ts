/**
 * The tokenizer geopat uses on the client side (synthetic prompts, counting tokens when a server
 * sends no usage) and in the simulator. It ships inside the `gpt-tokenizer` npm package (OpenAI's
 * cl100k_base BPE), so it works offline; counts from a server's own tokenizer (Llama's, say) differ
 * by a few percent, which is why records say whether a count came from the server or from here.
 */
import { decode, encode } from 'gpt-tokenizer/encoding/cl100k_base'

export const TOKENIZER_NAME = 'cl100k_base (gpt-tokenizer)'

// Text written by users, found in datasets or sent back by servers may contain special-token
// markers such as "<|endoftext|>"; gpt-tokenizer throws on them by default. A server receives
// such text as text, so it is encoded as text here.
const NO_SPECIAL_TOKENS = { disallowedSpecial: new Set<string>() }

export function encodeText(text: string): number[] {
  return encode(text, NO_SPECIAL_TOKENS)
}

export function decodeTokens(tokens: readonly number[]): string {
  return decode(tokens)
}

export function countTokens(text: string): number {
  if (text.length === 0) return 0
  return encode(text, NO_SPECIAL_TOKENS).length
}
