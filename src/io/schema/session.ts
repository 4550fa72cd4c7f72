/**
 * Multi-turn sessions (the scenario's `input.sessions`): conversations of several turns, each turn's
 * request carrying the whole history before it, so that a server's prefix cache can reuse it. The
 * sessions arrive as the load's process (an open loop's rate is sessions per second; a closed loop's
 * concurrency is sessions in flight); each turn after the first is sent a think time after the
 * previous answer ended. Per turn, the new user message has `input.inputTokens` tokens and the
 * answer asks for `input.outputTokens` (src/input/session/session-plan.ts draws them).
 */
import { z } from 'zod'
import { lengthSpecSchema } from './length-spec.js'

const seconds = z.number().nonnegative()

/**
 * Seconds a user takes between reading an answer and sending the next turn: a fixed number, or
 * exponential (mean), uniform (min..max) or lognormal (mean and std of the seconds themselves).
 * The default, 0, is the load-testing convention of sending the next turn at once.
 */
export const thinkTimeSchema = z.union([
  seconds,
  z.discriminatedUnion('dist', [
    z.object({ dist: z.literal('fixed'), value: seconds }).strict(),
    z.object({ dist: z.literal('exponential'), mean: seconds }).strict(),
    z
      .object({ dist: z.literal('uniform'), min: seconds, max: seconds })
      .strict()
      .refine((spec) => spec.min <= spec.max, { message: 'min must be <= max', path: ['min'] }),
    z.object({ dist: z.literal('lognormal'), mean: z.number().positive(), std: seconds }).strict(),
  ]),
])
export type ThinkTimeSpec = z.infer<typeof thinkTimeSchema>

export const sessionConfigSchema = z
  .object({
    /** ShareGPT-format conversations (JSON array or JSONL) replayed as sessions, turn by turn; or `turns` for synthetic sessions. */
    file: z.string().min(1).optional(),
    /** Synthetic sessions: user turns per session (a token-length spec read as a count). */
    turns: lengthSpecSchema.optional(),
    thinkTimeS: thinkTimeSchema.default(0),
    /** Tokens of a system prompt every session starts with (an application's, shared by all sessions). */
    systemPromptTokens: z.number().int().nonnegative().default(0),
    /** A session ends before a turn whose prompt (history included) would pass this many tokens (a model's context). */
    maxContextTokens: z.number().int().positive().optional(),
    /** Sessions to start; without it, the load's duration bounds when sessions start. */
    count: z.number().int().positive().optional(),
  })
  .strict()
  .refine((sessions) => (sessions.file === undefined) !== (sessions.turns === undefined), {
    message: 'give exactly one of file (ShareGPT conversations) and turns (synthetic sessions)',
    path: ['turns'],
  })
export type SessionConfig = z.infer<typeof sessionConfigSchema>
