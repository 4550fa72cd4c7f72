/**
 * Text of an exact number of tokens, fast.
 *
 * The corpus is split once into pieces that cl100k_base's pre-tokenizer treats independently
 * (" word", ".", ","); each piece's token count is cached, with running totals. A run of N tokens
 * is then a substring of the corpus (cycled) found by binary search over the totals, plus a few
 * one-token " the" pieces when the last word would overshoot: no tokenizer call per prompt for
 * building it. `fitToTokenCount` re-encodes the result as the check and repairs it in the
 * unexpected case that the count is off.
 */
import { PROSE_CORPUS } from './corpus.js'
import { countTokens, decodeTokens, encodeText } from './tokenizer.js'

/** One token in cl100k_base, and a piece of its own after any corpus piece. */
const PAD_PIECE = ' the'
/** Pieces of the corpus: a word with its leading space, or one punctuation mark. */
const PIECE = / ?[A-Za-z]+|[.,]/g

export class CorpusText {
  /** Number of pieces in one pass over the corpus. */
  readonly pieceCount: number
  /** Tokens in one pass over the corpus. */
  readonly tokensPerCycle: number
  /** Indices of pieces that are words (" word"): where a run may start without merging into what precedes it. */
  readonly wordStarts: Int32Array
  /** The corpus twice over, so that any cyclic run of up to one pass is one substring. */
  private readonly doubled: string
  /** Character offset of piece i in `doubled` (2 * pieceCount + 1 entries). */
  private readonly charStart: Int32Array
  /** Tokens in pieces 0 .. i-1 of `doubled` (2 * pieceCount + 1 entries). */
  private readonly tokensBefore: Int32Array

  constructor(corpus: string) {
    const text = ` ${corpus.trim().replace(/\s+/g, ' ')}`
    const pieces = text.match(PIECE) ?? []
    if (pieces.join('') !== text || /[.,][^ ]/.test(text)) {
      throw new Error('corpus must hold only letters, single spaces and ".", "," each followed by a space')
    }
    const count = pieces.length
    this.pieceCount = count
    this.doubled = text + text
    this.charStart = new Int32Array(2 * count + 1)
    this.tokensBefore = new Int32Array(2 * count + 1)
    const tokensOfPiece = new Map<string, number>()
    const starts: number[] = []
    for (let i = 0; i < 2 * count; i++) {
      const piece = pieces[i % count] as string
      let tokens = tokensOfPiece.get(piece)
      if (tokens === undefined) {
        tokens = countTokens(piece)
        tokensOfPiece.set(piece, tokens)
      }
      this.charStart[i + 1] = (this.charStart[i] as number) + piece.length
      this.tokensBefore[i + 1] = (this.tokensBefore[i] as number) + tokens
      if (i < count && piece.startsWith(' ')) starts.push(i)
    }
    this.wordStarts = Int32Array.from(starts)
    this.tokensPerCycle = this.tokensBefore[count] as number
    // The premise of the whole class: pieces tokenize independently, across the cycle's seam too.
    if (countTokens(this.doubled) !== 2 * this.tokensPerCycle || countTokens(PAD_PIECE) !== 1) {
      throw new Error('corpus pieces do not tokenize independently under cl100k_base')
    }
  }

  /**
   * Text of exactly `tokens` tokens: corpus pieces from `startPiece` on (cycling), then " the"
   * pieces to make up the count. `startPiece` should be one of `wordStarts`.
   */
  take(startPiece: number, tokens: number): string {
    if (tokens <= 0) return ''
    const start = startPiece % this.pieceCount
    const fullCycles = Math.floor(tokens / this.tokensPerCycle)
    const rest = tokens - fullCycles * this.tokensPerCycle
    const end = this.lastPieceWithin(start, rest)
    const taken = this.at(this.tokensBefore, end) - this.at(this.tokensBefore, start)
    const cycle = fullCycles > 0 ? this.slice(start, start + this.pieceCount).repeat(fullCycles) : ''
    return cycle + this.slice(start, end) + PAD_PIECE.repeat(rest - taken)
  }

  /** The largest end in [start, start + pieceCount) whose pieces start..end-1 hold at most `budget` tokens. */
  private lastPieceWithin(start: number, budget: number): number {
    const limit = this.at(this.tokensBefore, start) + budget
    let low = start
    let high = start + this.pieceCount - 1
    while (low < high) {
      const mid = (low + high + 1) >>> 1
      if (this.at(this.tokensBefore, mid) <= limit) low = mid
      else high = mid - 1
    }
    return low
  }

  private slice(fromPiece: number, toPiece: number): string {
    return this.doubled.slice(this.at(this.charStart, fromPiece), this.at(this.charStart, toPiece))
  }

  private at(table: Int32Array, index: number): number {
    return table[index] as number
  }
}

let defaultCorpus: CorpusText | undefined

/** The built-in prose corpus, prepared on first use. */
export function proseCorpus(): CorpusText {
  defaultCorpus ??= new CorpusText(PROSE_CORPUS)
  return defaultCorpus
}

/**
 * Returns `text` if it has exactly `target` tokens; otherwise trims it (by tokens) or pads it
 * (with one-token pieces) until it has. Throws if that does not settle, which would mean the
 * tokenizer merged across every cut.
 */
export function fitToTokenCount(text: string, target: number): string {
  let candidate = text
  for (let attempt = 0; attempt < 8; attempt++) {
    const tokens = encodeText(candidate)
    if (tokens.length === target) return candidate
    candidate = tokens.length > target ? decodeTokens(tokens.slice(0, target)) : candidate + PAD_PIECE.repeat(target - tokens.length)
  }
  throw new Error(`could not build a text of exactly ${target} tokens`)
}
