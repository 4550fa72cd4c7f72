/**
 * The flag rows that bench and size share for a traffic shape: a trace's format, window and limit,
 * and a session mix's think time, system prompt and context (each table puts them at its own path:
 * bench's scenario has `load.trace` and `input.sessions`, size's request `trace` and `sessions`).
 */
import * as parse from './parsers.js'
import { choice, value } from './table.js'

export const TRACE_FORMATS = ['mooncake', 'azure', 'burstgpt', 'geopat'] as const

/**
 * --trace-format, --trace-window and --trace-limit, setting `<path>.format`, `.window` and `.limit`
 * (no path: the command reads them itself, as sim --virtual does).
 */
export function traceOptionFlags(path?: 'load.trace' | 'trace') {
  const at = (key: string): { path?: string } => (path === undefined ? {} : { path: `${path}.${key}` })
  return {
    'trace-format': choice(TRACE_FORMATS, { description: "with --trace: the trace's format (default: told from its first line)", ...at('format') }),
    'trace-window': value(parse.traceWindow, {
      description: 'with --trace: START:END seconds of the trace from its first arrival (60:120, 60: or :120); sends start at the window start',
      ...at('window'),
    }),
    'trace-limit': value(parse.integer, { description: 'with --trace: only the first N rows of the window', ...at('limit') }),
  } as const
}

/** --think-time, --system-prompt-tokens and --max-context-tokens, setting `<path>.thinkTimeS`, `.systemPromptTokens` and `.maxContextTokens`. */
export function sessionShapeFlags(path: 'input.sessions' | 'sessions') {
  return {
    'think-time': value(parse.thinkTime, {
      description: `sessions: seconds between an answer and the next turn: ${parse.THINK_TIME_RULE} (default 0)`,
      path: `${path}.thinkTimeS`,
    }),
    'system-prompt-tokens': value(parse.integer, {
      description: 'synthetic sessions: tokens of a system prompt every session starts with, shared by all (default 0)',
      path: `${path}.systemPromptTokens`,
    }),
    'max-context-tokens': value(parse.integer, {
      description: "sessions: end a session before a turn whose prompt and answer would pass this many tokens (the model's context)",
      path: `${path}.maxContextTokens`,
    }),
  } as const
}
