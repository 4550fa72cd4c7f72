/**
 * `geopat size`'s flags for a session mix and for the simulator's prefix cache (beside the table in
 * src/cli/commands/size.ts): each sets a field of the scenario's `input.sessions` block
 * (src/io/schema/session.ts), whose schema holds the rules and defaults, as `sessions.*` of the
 * sizing request; --input-tokens and --output-tokens then size each turn's new message and answer.
 */
import { type ThinkTimeSpec, thinkTimeSchema } from '../../io/schema/session.js'
import { UserError, describeZodIssues } from '../../util/errors.js'
import * as parse from './parsers.js'
import { choice, defineFlags, field, string, value } from './table.js'

const THINK_RULE = 'expected SECONDS, exponential:MEAN, uniform:MIN-MAX or lognormal:MEAN,STD (seconds)'
const NUMBER = String.raw`(\d+(?:\.\d+)?)`
const THINK_FORMS: Array<[RegExp, (m: RegExpExecArray) => unknown]> = [
  [new RegExp(`^${NUMBER}$`), (m) => Number(m[1])],
  [new RegExp(`^exponential:${NUMBER}$`), (m) => ({ dist: 'exponential', mean: Number(m[1]) })],
  [new RegExp(`^uniform:${NUMBER}-${NUMBER}$`), (m) => ({ dist: 'uniform', min: Number(m[1]), max: Number(m[2]) })],
  [new RegExp(`^lognormal:${NUMBER},${NUMBER}$`), (m) => ({ dist: 'lognormal', mean: Number(m[1]), std: Number(m[2]) })],
]

/** `--think-time`: seconds between an answer and the next turn, fixed or a distribution. */
export const thinkTime: parse.Parser<ThinkTimeSpec> = (text) => {
  for (const [form, spec] of THINK_FORMS) {
    const match = form.exec(text.trim())
    if (!match) continue
    const parsed = thinkTimeSchema.safeParse(spec(match))
    if (!parsed.success) throw new UserError(describeZodIssues(`invalid think time "${text}"`, parsed.error.issues))
    return parsed.data
  }
  throw new UserError(`invalid think time "${text}": ${THINK_RULE}`)
}

export const SIZE_SESSION_FLAGS = defineFlags({
  turns: field(
    parse.lengthSpec,
    'sessions.turns',
    '--profile: size a multi-turn session mix: user turns per session, N or a distribution ' +
      '(each turn carries the history; sessions arrive as a Poisson process)',
  ),
  'think-time': field(
    thinkTime,
    'sessions.thinkTimeS',
    `--turns: seconds between an answer and the next turn: ${THINK_RULE.replace('expected ', '')} (default 0)`,
  ),
  'system-prompt-tokens': field(parse.integer, 'sessions.systemPromptTokens', '--turns: tokens of a system prompt every session shares (default 0)'),
  'max-context-tokens': field(parse.integer, 'sessions.maxContextTokens', '--turns: a session ends before a turn whose prompt and answer would pass this'),
  trace: string({
    description:
      '--profile: size a request trace (Mooncake JSONL, Azure CSV, BurstGPT CSV or geopat JSONL): its lengths and hash ids as they are, ' +
      'the capacity searched as the speed it is sent at',
    path: 'trace.file',
  }),
  'trace-format': choice(['mooncake', 'azure', 'burstgpt', 'geopat'], {
    description: "--trace: the trace's format (default: told from its first line)",
    path: 'trace.format',
  }),
  'trace-window': value(parse.traceWindow, {
    description: '--trace: START:END seconds of the trace from its first arrival (60:120, 60: or :120)',
    path: 'trace.window',
  }),
  'trace-limit': value(parse.integer, { description: '--trace: only the first N rows of the window', path: 'trace.limit' }),
  'prefix-caching': choice(['on', 'off'], {
    description: "--profile: the simulator's automatic prefix caching (default: the profile's engine.prefixCaching)",
    path: 'prefixCaching',
  }),
})

/** Flags that only mean something with --turns, or with --trace. */
export const SESSION_ONLY_FLAGS = ['think-time', 'system-prompt-tokens', 'max-context-tokens'] as const
export const TRACE_ONLY_FLAGS = ['trace-format', 'trace-window', 'trace-limit'] as const
