import { type PreparedEndpoint, type ResolvedEndpoint, createControlClient, createStreamPool, resolveEndpoint } from '../client/endpoint.js'
import { discoverModel } from '../client/preflight.js'
import type { GenerationRequest } from '../client/openai.js'
import { loadPromptFile } from '../input/prompt-file.js'
import { type PromptItem, type SkippablePromptSource, createSyntheticPromptSource } from '../input/prompts.js'
import { type ToolOffer, toolsForRequest } from '../input/tool-offer.js'
import type { PreparedRequest, StopSignal } from './runner.js'
import type { Scenario } from '../io/schema/scenario.js'
import { UserError } from '../util/errors.js'
import { launchSimulator } from './sim-target.js'

/** Moved to src/client/endpoint.ts (attest reads prepared endpoints; attest may not import load). */
export type { PreparedEndpoint } from '../client/endpoint.js'

export interface StartedEndpoints {
  /** The scenario with the simulated endpoints' URLs filled in. */
  scenario: Scenario
  prepared: PreparedEndpoint[]
  close(): Promise<void>
}

/**
 * What `geopat bench` and `geopat compare` do before measuring: start the simulated endpoints the
 * scenario names (one child process), resolve every endpoint (secrets, TLS), and check each one
 * with GET /v1/models (reachable, OpenAI-compatible, model known), so that mistakes fail in one
 * line before any output is written.
 */
export async function startEndpoints(input: Scenario, source: string, log: (line: string) => void, stop?: StopSignal): Promise<StartedEndpoints> {
  const simulated = Object.fromEntries(input.endpoints.flatMap((endpoint, index) => (endpoint.sim ? [[endpoint.label ?? `sim-${index}`, endpoint.sim]] : [])))
  const simulator = Object.keys(simulated).length > 0 ? await launchSimulator(simulated) : undefined
  const prepared: PreparedEndpoint[] = []
  const close = async (): Promise<void> => {
    await Promise.all(prepared.map((p) => p.pool.close().catch(() => undefined)))
    await simulator?.stop()
  }
  try {
    const scenario: Scenario = {
      ...input,
      endpoints: input.endpoints.map((endpoint, index) => {
        const label = endpoint.label ?? `sim-${index}`
        return endpoint.sim ? { ...endpoint, label, url: simulator?.urls[label] } : endpoint
      }),
    }
    const resolved = scenario.endpoints.map((config, index) =>
      resolveEndpoint(config, scenario.endpoints.length > 1 ? `${source}: endpoints.${index}` : source),
    )
    const seen = new Set<string>()
    for (const endpoint of resolved) {
      if (seen.has(endpoint.label)) throw new UserError(`endpoints: label "${endpoint.label}" is used twice; give each endpoint its own label`)
      seen.add(endpoint.label)
    }
    // Ctrl-C during the checks abandons them at once (the first signal, not only the second).
    const interrupt = new AbortController()
    const unsubscribe = stop?.onStop(() => interrupt.abort()) ?? (() => undefined)
    try {
      for (const endpoint of resolved) {
        const control = createControlClient(endpoint, { connectTimeoutMs: scenario.timeouts.connectMs })
        const bounds = { deadlineMs: modelsCheckDeadlineMs(scenario.timeouts), maxBytes: scenario.limits.maxResponseBytes, signal: interrupt.signal }
        const discovery = await discoverModel(endpoint, control, endpoint.config.model, bounds).finally(() => control.destroy().catch(() => undefined))
        prepared.push({ endpoint, pool: createStreamPool(endpoint, { connectTimeoutMs: scenario.timeouts.connectMs }), model: discovery.model })
        if (discovery.note) log(`note: ${endpoint.label}: ${discovery.note}`)
      }
    } finally {
      unsubscribe()
    }
    return { scenario, prepared, close }
  } catch (error) {
    await close()
    throw error
  }
}

/** GET /v1/models must be answered, body included, within twice the connect timeout, at most 30 s and the total timeout. */
function modelsCheckDeadlineMs(timeouts: Scenario['timeouts']): number {
  return Math.min(timeouts.connectMs * 2, 30_000, timeouts.totalMs)
}

/** The URL as it may appear in outputs: no user-info, no query (either could hold a secret). */
export function publicUrl(endpoint: ResolvedEndpoint): string {
  return `${endpoint.origin}${endpoint.basePath}`
}

/** A fresh prompt source each call, so that every step, arm and endpoint gets the same prompts. */
export function promptSourceFactory(scenario: Scenario, seed = scenario.load.seed): () => Promise<SkippablePromptSource> {
  const input = scenario.input
  if (input.promptsFile) {
    const file = input.promptsFile
    return () => loadPromptFile(file, { outputTokens: input.outputTokens, seed })
  }
  return async () =>
    createSyntheticPromptSource({
      inputTokens: input.inputTokens,
      outputTokens: input.outputTokens,
      seed,
      prefixTokens: input.prefixTokens,
    })
}

/**
 * One prompt made into a request for an endpoint, as the load engine sends it; with `tools`
 * (input.tools, loaded), the prompts whose id the offer's draw picks ask for the tools.
 */
export function toPreparedRequest(
  item: PromptItem,
  endpoint: ResolvedEndpoint,
  model: string,
  scenario: Scenario,
  headers?: Record<string, string>,
  tools?: ToolOffer,
): PreparedRequest {
  const requestTools = toolsForRequest(tools, item.id)
  const request: GenerationRequest = {
    model,
    api: endpoint.api,
    prompt: item.prompt,
    messages: item.messages,
    maxOutputTokens: item.requestedOutputTokens,
    fixedOutput: scenario.input.fixedOutput,
    continuousUsage: scenario.input.continuousUsage,
    extraBody: endpoint.config.extraBody,
    ...(requestTools !== undefined ? { tools: requestTools } : {}),
  }
  return {
    request,
    requestedInputTokens: item.requestedInputTokens,
    requestedOutputTokens: item.requestedOutputTokens ?? null,
    ...(headers ? { headers } : {}),
  }
}
