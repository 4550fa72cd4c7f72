/**
 * Requests that ask for tools (`input.tools`, `geopat bench --tools FILE`): the tools file read
 * and checked once, and which requests carry it. Whether request i carries the tools is drawn
 * from the run's seed and i alone (a stream of its own, keyed by the prompt's id), so a run
 * repeats, and each shard of a run, which sends the ids ≡ I (mod N) with the prompts the whole
 * run gives them, asks for tools on exactly the requests the unsharded run would.
 */
import { loadYamlFile } from '../io/schema/load-file.js'
import { type FunctionTool, TOOL_CHOICE_WORDS, type ToolsConfig, toolsFileSchema } from '../io/schema/tools.js'
import { OptionMessageError } from '../util/option-error.js'
import { deriveSeed } from '../util/rng.js'

/** What a request that asks for tools adds to its body: `tools` and `tool_choice`, as the OpenAI chat API takes them. */
export interface RequestTools {
  tools: FunctionTool[]
  toolChoice: 'auto' | 'required' | 'none' | { type: 'function'; function: { name: string } }
}

export interface ToolOffer {
  request: RequestTools
  /** Share of the requests that carry `request`. */
  share: number
  /** The seed of the draw (derived from the run's seed). */
  seed: number
}

/** The stream of the run's seed that decides which requests carry tools (prompts.ts uses 1 to 3). */
const TOOLS_STREAM = 101

/** Reads and checks the tools file: a bad file, or a `choice` naming no function of it, is one line naming the file (and the field) and the rule. */
export function loadToolOffer(config: ToolsConfig, runSeed: number): ToolOffer {
  const tools = loadYamlFile(config.file, toolsFileSchema)
  return { request: { tools, toolChoice: toolChoiceOf(config.choice, tools, config.file) }, share: config.share, seed: deriveSeed(runSeed, TOOLS_STREAM) }
}

function toolChoiceOf(choice: string, tools: FunctionTool[], file: string): RequestTools['toolChoice'] {
  const word = TOOL_CHOICE_WORDS.find((w) => w === choice)
  if (word !== undefined) return word
  if (!tools.some((tool) => tool.function.name === choice)) {
    const names = tools.map((tool) => tool.function.name).join(', ')
    throw new OptionMessageError(
      `{input.tools.choice} "${choice}" is neither ${TOOL_CHOICE_WORDS.join(', ')} nor a function of {input.tools.file} ${file} (${names})`,
    )
  }
  return { type: 'function', function: { name: choice } }
}

/** A uniform number in [0, 1) for prompt `id`: the id's own draw of the seed's stream, independent of every other id's. */
function toolDraw(seed: number, id: number): number {
  return deriveSeed(seed, id) / 4_294_967_296
}

/** The tools request `id` carries: the offer's, for a share of the ids; undefined for the others (and without an offer). */
export function toolsForRequest(offer: ToolOffer | undefined, id: number): RequestTools | undefined {
  if (offer === undefined || offer.share <= 0) return undefined
  return offer.share >= 1 || toolDraw(offer.seed, id) < offer.share ? offer.request : undefined
}
