// Writes the SYNTHETIC sample traces of this folder (seeded, so the files are reproducible):
//   node data/traces/generate-samples.mjs
// Nothing here comes from a real trace: the rows only have the real formats' shapes.
import { writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const BLOCK = 512

/** mulberry32: a small seeded generator, enough for sample data. */
function random(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
const between = (next, low, high) => low + Math.floor(next() * (high - low + 1))
const exponential = (next, mean) => -Math.log(1 - next()) * mean

/** Mooncake: 300 rows at ~5 req/s; system prompts shared by families of rows, and follow-up turns that reuse a whole earlier prompt. */
function mooncake() {
  const next = random(21)
  let nextId = 0
  const fresh = (count) => Array.from({ length: count }, () => nextId++)
  const systemPrompts = [fresh(1), fresh(2), fresh(3), fresh(4)]
  const earlier = []
  const lines = []
  let timeMs = 0
  for (let i = 0; i < 300; i++) {
    let hashIds
    if (earlier.length > 0 && next() < 0.3) {
      // A follow-up turn: an earlier prompt whole, then new blocks.
      const previous = earlier[Math.floor(next() * earlier.length)]
      hashIds = [...previous, ...fresh(between(next, 1, 3))]
    } else {
      hashIds = [...systemPrompts[Math.floor(next() * systemPrompts.length)], ...fresh(between(next, 0, 8))]
    }
    if (hashIds.length > 24) hashIds = hashIds.slice(0, 24)
    const inputLength = (hashIds.length - 1) * BLOCK + between(next, 1, BLOCK)
    earlier.push(hashIds.slice(0, -1).length > 0 ? hashIds.slice(0, -1) : hashIds)
    lines.push(JSON.stringify({ timestamp: Math.round(timeMs), input_length: inputLength, output_length: between(next, 20, 600), hash_ids: hashIds }))
    timeMs += exponential(next, 200)
  }
  return `${lines.join('\n')}\n`
}

/** Azure LLM inference trace (conversation-like lengths), 300 rows at ~4 req/s. */
function azure() {
  const next = random(22)
  const rows = ['TIMESTAMP,ContextTokens,GeneratedTokens']
  let timeMs = Date.UTC(2023, 10, 16, 18, 15, 46)
  for (let i = 0; i < 300; i++) {
    timeMs += exponential(next, 250)
    const whole = Math.floor(timeMs)
    const fraction = String(Math.floor((timeMs - whole) * 10_000)).padStart(4, '0')
    const iso = new Date(whole).toISOString() // 2023-11-16T18:15:46.680Z
    const stamp = `${iso.slice(0, 10)} ${iso.slice(11, 23)}${fraction}`
    rows.push(`${stamp},${between(next, 20, 4000)},${between(next, 5, 700)}`)
  }
  return `${rows.join('\n')}\n`
}

/** BurstGPT: 300 rows, bursty (gaps from two rates), two models, some failed requests with no response tokens. */
function burstGpt() {
  const next = random(23)
  const rows = ['Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type']
  let timeS = 5
  for (let i = 0; i < 300; i++) {
    timeS += exponential(next, next() < 0.8 ? 0.08 : 1.5)
    const request = between(next, 10, 3000)
    const response = next() < 0.05 ? 0 : between(next, 1, 900)
    const model = next() < 0.7 ? 'ChatGPT' : 'GPT-4'
    const log = next() < 0.6 ? 'Conversation log' : 'API log'
    rows.push(`${Math.round(timeS)},${model},${request},${response},${request + response},${log}`)
  }
  return `${rows.join('\n')}\n`
}

/** geopat: 200 rows at ~10 req/s, a shared 2-block system prompt on most rows. */
function geopat() {
  const next = random(24)
  const lines = []
  let timeMs = 1_000
  for (let i = 0; i < 200; i++) {
    const shared = next() < 0.7
    const inputTokens = shared ? 2 * BLOCK + between(next, 1, 900) : between(next, 50, 1500)
    const row = { timestampMs: Math.round(timeMs * 1000) / 1000, inputTokens, outputTokens: between(next, 10, 300) }
    lines.push(JSON.stringify(shared ? { ...row, prefixBlocks: [7, 8] } : row))
    timeMs += exponential(next, 100)
  }
  return `${lines.join('\n')}\n`
}

writeFileSync(join(here, 'mooncake-synthetic.jsonl'), mooncake())
writeFileSync(join(here, 'azure-synthetic.csv'), azure())
writeFileSync(join(here, 'burstgpt-synthetic.csv'), burstGpt())
writeFileSync(join(here, 'geopat-synthetic.jsonl'), geopat())
