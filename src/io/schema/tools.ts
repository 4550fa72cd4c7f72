import { z } from 'zod'

/** What OpenAI's API allows as a function's name (and so vLLM's tool parsers expect). */
export const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/

/** The `tool_choice` words of the OpenAI API; any other value of `--tool-choice` names one of the file's functions. */
export const TOOL_CHOICE_WORDS = ['auto', 'required', 'none'] as const

/** One function tool, as the OpenAI chat API takes it in `tools`. */
const functionToolSchema = z
  .object({
    type: z.literal('function'),
    function: z
      .object({
        name: z.string().regex(FUNCTION_NAME, 'must be 1 to 64 letters, digits, _ or - (the OpenAI rule for function names)'),
        description: z.string().optional(),
        /** The arguments' JSON Schema, sent as given. */
        parameters: z.record(z.string(), z.unknown()).optional(),
        strict: z.boolean().optional(),
      })
      .strict(),
  })
  .strict()
export type FunctionTool = z.infer<typeof functionToolSchema>

/**
 * The `--tools` file (`input.tools.file`): a JSON array of OpenAI function tools, sent as the
 * request's `tools` field. Names are unique, since `tool_choice` names a function by its name.
 */
export const toolsFileSchema = z
  .array(functionToolSchema)
  .min(1, 'must hold at least one tool')
  .superRefine((tools, ctx) => {
    const seen = new Set<string>()
    for (const [index, tool] of tools.entries()) {
      if (seen.has(tool.function.name)) ctx.addIssue({ code: 'custom', path: [index, 'function', 'name'], message: `"${tool.function.name}" is named twice` })
      seen.add(tool.function.name)
    }
  })

/** `input.tools`: requests that ask for tools, how they ask, and how many of them. */
export const toolsConfigSchema = z
  .object({
    /** The tools file (toolsFileSchema). */
    file: z.string({ error: 'required with a tool choice or a tool share (the tools to send)' }).min(1),
    /** `tool_choice`: auto (the API's default), required, none, or the name of one of the file's functions. */
    choice: z
      .string()
      .regex(FUNCTION_NAME, `must be ${TOOL_CHOICE_WORDS.join(', ')} or the name of a function of the tools file`)
      .default('auto'),
    /** Share of the requests that carry the tools, drawn per request from the run's seed. */
    share: z.number().min(0).max(1).default(1),
  })
  .strict()
export type ToolsConfig = z.infer<typeof toolsConfigSchema>
