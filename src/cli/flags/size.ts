/**
 * `geopat size`'s flags for a session mix and for the simulator's prefix cache (beside the table in
 * src/cli/commands/size.ts): each sets a field of the scenario's `input.sessions` block
 * (src/io/schema/session.ts), whose schema holds the rules and defaults, as `sessions.*` of the
 * sizing request; --input-tokens and --output-tokens then size each turn's new message and answer.
 */
import * as parse from './parsers.js'
import { choice, defineFlags, field, string } from './table.js'
import { sessionShapeFlags, traceOptionFlags } from './traffic-shape.js'

export const SIZE_SESSION_FLAGS = defineFlags({
  turns: field(
    parse.lengthSpec,
    'sessions.turns',
    '--profile: size a multi-turn session mix: user turns per session, N or a distribution ' +
      '(each turn carries the history; sessions arrive as a Poisson process)',
  ),
  ...sessionShapeFlags('sessions'),
  trace: string({
    description:
      '--profile: size a request trace (Mooncake JSONL, Azure CSV, BurstGPT CSV or geopat JSONL): its lengths and hash ids as they are, ' +
      'the capacity searched as the speed it is sent at',
    path: 'trace.file',
  }),
  ...traceOptionFlags('trace'),
  'prefix-caching': choice(['on', 'off'], {
    description: "--profile: the simulator's automatic prefix caching (default: the profile's engine.prefixCaching)",
    path: 'prefixCaching',
  }),
})

/** Flags that only mean something with --turns, or with --trace. */
export const SESSION_ONLY_FLAGS = Object.keys(sessionShapeFlags('sessions')) as Array<keyof ReturnType<typeof sessionShapeFlags>>
export const TRACE_ONLY_FLAGS = Object.keys(traceOptionFlags('trace')) as Array<keyof ReturnType<typeof traceOptionFlags>>
