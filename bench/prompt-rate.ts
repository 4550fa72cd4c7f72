/**
 * How fast the load client makes synthetic prompts: 1,000-token prompts (128 output tokens asked),
 * each re-encoded to hit its token count exactly, from one seeded source. The load client makes a
 * prompt per request before it sends it, so this rate bounds the request rate one thread can feed.
 * Prints JSON on stdout. Not part of `npm test` (a rate on a real clock is a benchmark's figure).
 *
 *   npm run build && node dist/bench/prompt-rate.js
 *   node dist/bench/prompt-rate.js --count 5000 --input-tokens 1000 --repeat 3
 */
import { cpus, loadavg } from 'node:os'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { createSyntheticPromptSource } from '../src/input/prompts.js'

const { values: flags } = parseArgs({
  options: {
    count: { type: 'string', default: '5000' },
    'input-tokens': { type: 'string', default: '1000' },
    repeat: { type: 'string', default: '3' },
  },
})
const count = Number(flags.count)
const inputTokens = Number(flags['input-tokens'])
const repeat = Number(flags.repeat)

const promptsPerS: number[] = []
for (let run = 0; run < repeat; run++) {
  const source = createSyntheticPromptSource({ inputTokens, outputTokens: 128, seed: 10 + run })
  const started = performance.now()
  for (let i = 0; i < count; i++) source.next()
  promptsPerS.push(count / ((performance.now() - started) / 1000))
}
console.log(
  JSON.stringify(
    {
      count,
      inputTokens,
      promptsPerS: promptsPerS.map(Math.round),
      cpu: cpus()[0]?.model,
      cores: cpus().length,
      loadAverage1m: loadavg()[0],
      node: process.version,
    },
    null,
    2,
  ),
)
