import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { resolveEndpoint } from '../../src/client/endpoint.js'
import { buildRequestBody } from '../../src/client/openai.js'
import { createSyntheticPromptSource } from '../../src/input/prompts.js'
import { type ToolOffer, loadToolOffer, toolsForRequest } from '../../src/input/tool-offer.js'
import { scenarioSchema } from '../../src/io/schema/scenario.js'
import { toPreparedRequest } from '../../src/load/endpoints-setup.js'
import { shardPromptSource } from '../../src/load/shard.js'
import { UserError } from '../../src/util/errors.js'

const dir = mkdtempSync(join(tmpdir(), 'geopat-tool-offer-'))
const TOOLS = [
  {
    type: 'function',
    function: { name: 'get_weather', description: 'the weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
  },
  { type: 'function', function: { name: 'search' } },
]

function file(name: string, content: unknown): string {
  const path = join(dir, name)
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content))
  return path
}

const toolsFile = file('tools.json', TOOLS)
const offer = (share: number, seed = 1, choice = 'required'): ToolOffer => loadToolOffer({ file: toolsFile, choice, share }, seed)
/** The ids among 0..count-1 whose requests carry the tools. */
const picked = (o: ToolOffer, count: number): number[] => Array.from({ length: count }, (_, id) => id).filter((id) => toolsForRequest(o, id) !== undefined)

describe('the share of requests that ask for tools', () => {
  it('is close to S over many requests: within 5 binomial standard deviations', () => {
    const n = 20_000
    for (const share of [0.1, 0.5, 0.9]) {
      const fraction = picked(offer(share), n).length / n
      expect(Math.abs(fraction - share)).toBeLessThan(5 * Math.sqrt((share * (1 - share)) / n))
    }
  })

  it('is 0 and 1 at the ends', () => {
    expect(picked(offer(0), 500)).toEqual([])
    expect(picked(offer(1), 500)).toHaveLength(500)
  })

  it('repeats under one seed, differs under another, and does not depend on the order the ids are asked in', () => {
    const first = picked(offer(0.5, 7), 400)
    expect(picked(offer(0.5, 7), 400)).toEqual(first)
    expect(picked(offer(0.5, 8), 400)).not.toEqual(first)
    const o = offer(0.5, 7)
    const backwards = Array.from({ length: 400 }, (_, i) => 399 - i).filter((id) => toolsForRequest(o, id) !== undefined)
    expect(backwards.reverse()).toEqual(first)
  })
})

describe('the request body', () => {
  const endpoint = resolveEndpoint({ url: 'http://127.0.0.1:1', api: 'chat', headers: {}, insecure: false }, 'test')
  const scenario = scenarioSchema.parse({ endpoints: [{ url: 'http://127.0.0.1:1' }], load: { concurrency: 1, requests: 10 } })

  it('carries tools and tool_choice exactly on the requests drawn, and a shard draws the same for its ids', () => {
    const o = offer(0.5, 3)
    const source = createSyntheticPromptSource({ inputTokens: 8, outputTokens: 4, seed: 3 })
    const bodies = Array.from({ length: 60 }, () =>
      JSON.parse(buildRequestBody(toPreparedRequest(source.next(), endpoint, 'm', scenario, undefined, o).request)),
    )
    const withTools = bodies.flatMap((body, id) => (body.tools !== undefined ? [id] : []))
    expect(withTools).toEqual(picked(o, 60))
    expect(withTools.length).toBeGreaterThan(0)
    expect(withTools.length).toBeLessThan(60)
    for (const id of withTools) {
      expect(bodies[id].tools).toEqual(TOOLS)
      expect(bodies[id].tool_choice).toBe('required')
    }
    for (const body of bodies.filter((b) => b.tools === undefined)) expect(body).not.toHaveProperty('tool_choice')
    // Shard 1 of 3 sends ids 1, 4, 7, …: each asks for tools as in the whole run.
    const shard = shardPromptSource(createSyntheticPromptSource({ inputTokens: 8, outputTokens: 4, seed: 3 }), { index: 1, count: 3 })
    for (let id = 1; id < 60; id += 3) {
      const request = toPreparedRequest(shard.next(), endpoint, 'm', scenario, undefined, o).request
      expect(request.tools !== undefined, `id ${id}`).toBe(withTools.includes(id))
    }
  })

  it('names a forced function as the OpenAI API does, and carries no tools without an offer or to the completions API', () => {
    const named = offer(1, 1, 'search')
    expect(named.request.toolChoice).toEqual({ type: 'function', function: { name: 'search' } })
    expect(offer(1, 1, 'auto').request.toolChoice).toBe('auto')
    const item = createSyntheticPromptSource({ inputTokens: 8, outputTokens: 4, seed: 1 }).next()
    expect(JSON.parse(buildRequestBody(toPreparedRequest(item, endpoint, 'm', scenario).request))).not.toHaveProperty('tools')
    const request = { ...toPreparedRequest(item, endpoint, 'm', scenario, undefined, named).request, api: 'completions' as const }
    expect(JSON.parse(buildRequestBody(request))).not.toHaveProperty('tools')
  })
})

describe('a bad tools file or choice is one line naming the file, the field and the rule', () => {
  const cases: Array<[string, unknown, string, RegExp]> = [
    ['not an array', { tools: TOOLS }, 'auto', /not-array\.json: \(root\): .*expected array/],
    ['empty', [], 'auto', /empty\.json: \(root\): must hold at least one tool/],
    ['not a function tool', [{ type: 'code_interpreter' }], 'auto', /wrong-type\.json: 0\.type: /],
    ['a bad name', [{ type: 'function', function: { name: 'get weather' } }], 'auto', /bad-name\.json: 0\.function\.name: must be 1 to 64/],
    ['a name twice', [TOOLS[1], TOOLS[1]], 'auto', /twice\.json: 1\.function\.name: "search" is named twice/],
    ['an unknown field', [{ type: 'function', function: { name: 'a', parameter: {} } }], 'auto', /unknown-field\.json: 0\.function: .*parameter/],
    [
      'a choice naming no function',
      TOOLS,
      'lookup',
      /input\.tools\.choice "lookup" is neither auto, required, none nor a function of input\.tools\.file .*choice\.json \(get_weather, search\)/,
    ],
  ]
  const names = ['not-array', 'empty', 'wrong-type', 'bad-name', 'twice', 'unknown-field', 'choice']
  it.each(cases.map((c, i) => [...c, names[i]] as const))('%s', (_, content, choice, message, name) => {
    const path = file(`${name}.json`, content)
    let error: unknown
    try {
      loadToolOffer({ file: path, choice, share: 1 }, 1)
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(UserError)
    const text = (error as Error).message
    expect(text).not.toContain('\n')
    expect(text).toMatch(message)
  })

  it('the scenario refuses tools with the completions API and with multi-turn sessions', () => {
    const base = { load: { concurrency: 1, requests: 2 }, input: { tools: { file: toolsFile } } }
    const completions = scenarioSchema.safeParse({ ...base, endpoints: [{ url: 'http://127.0.0.1:1', api: 'completions' }] })
    expect(completions.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['input.tools.file', expect.stringMatching(/chat API only/)]])
    const sessions = scenarioSchema.safeParse({ ...base, endpoints: [{ url: 'http://127.0.0.1:1' }], input: { ...base.input, sessions: { turns: 3 } } })
    expect(sessions.error?.issues.map((i) => i.path.join('.'))).toEqual(['input.tools.file'])
    const defaults = scenarioSchema.parse({ ...base, endpoints: [{ url: 'http://127.0.0.1:1' }] })
    expect(defaults.input.tools).toEqual({ file: toolsFile, choice: 'auto', share: 1 })
  })
})
