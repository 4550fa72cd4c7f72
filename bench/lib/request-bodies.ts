/**
 * The request bodies geopat bench sends with given settings, for the clients that do not build
 * their own (autocannon, the reference client, the warm-up).
 */
import { buildRequestBody } from '../../src/client/openai.js'
import { parseLengthFlag } from '../../src/input/distributions.js'
import { createSyntheticPromptSource } from '../../src/input/prompts.js'

/**
 * The JSON bodies geopat bench sends for its first `count` requests with these settings (chat API,
 * seed 1, built by geopat's own prompt source and request builder): the same prompts and output
 * lengths in the same order, for the clients that do not build their own (autocannon, the
 * reference client, the warm-up). Token lengths take geopat's forms: `64`, `uniform:25-35`, ...
 */
export function geopatRequestBodies(options: {
  model: string
  inputTokens: string | number
  outputTokens: string | number
  fixedOutput: boolean
  count: number
}): string[] {
  const prompts = createSyntheticPromptSource({
    inputTokens: parseLengthFlag(String(options.inputTokens)),
    outputTokens: parseLengthFlag(String(options.outputTokens)),
    seed: 1,
  })
  return Array.from({ length: Math.max(1, options.count) }, () => {
    const item = prompts.next()
    return buildRequestBody({
      model: options.model,
      api: 'chat',
      prompt: item.prompt,
      messages: item.messages,
      maxOutputTokens: item.requestedOutputTokens,
      fixedOutput: options.fixedOutput,
      continuousUsage: false,
      extraBody: undefined,
    })
  })
}

/** The body of geopat's first request with these settings (see geopatRequestBodies). */
export function geopatRequestBody(options: { model: string; inputTokens: string | number; outputTokens: string | number; fixedOutput: boolean }): string {
  return geopatRequestBodies({ ...options, count: 1 })[0] as string
}
