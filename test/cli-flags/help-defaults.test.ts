import { describe, expect, it } from 'vitest'
import { ATTEST_FLAGS, attestScenarioFromFlags } from '../../src/cli/flags/attest.js'
import { BENCH_FLAGS } from '../../src/cli/flags/bench.js'
import { benchScenarioFromFlags } from '../../src/cli/flags/bench-scenario.js'
import { COMPARE_FLAGS, compareScenarioFromFlags } from '../../src/cli/flags/compare.js'
import { SIM_FLAGS, simEndpointsFromFlags } from '../../src/cli/flags/sim.js'
import { type FlagTable, readFlags } from '../../src/cli/flags/table.js'
import { simEndpointSchema } from '../../src/io/schema/sim-endpoint.js'

/**
 * Defaults live in the schemas; a help text may still say "(default N)". For every flag that sets
 * a scenario field and says so, giving N explicitly must build the same field as leaving the flag
 * out: the help text cannot drift from the schema (it did: `size --searches` said 5 where a
 * scenario's default is 3).
 */
const DEFAULT_IN_HELP = /\(default ([\w.]+)[\s,;)]/

/** The value at a dot path (`*` takes the first element). */
function at(value: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key === '*' ? '0' : key], value)
}

/** A flag's "(default N)" as oclif would hand it over: text, or on/off for a boolean. */
function rawDefault(table: FlagTable, name: string, text: string): unknown {
  return table[name]?.kind === 'boolean' ? text === 'on' : table[name]?.kind === 'list' ? [text] : text
}

/** The flags every build starts from; a function of the flag's scenario path where a block needs more to be valid. */
type BaseFlags = Record<string, unknown> | ((path: string) => Record<string, unknown>)

function checked(table: FlagTable, build: (raw: Record<string, unknown>) => unknown, baseFlags: BaseFlags): string[] {
  const names: string[] = []
  for (const [name, def] of Object.entries(table)) {
    const said = DEFAULT_IN_HELP.exec(def.description)?.[1]
    if (def.path === undefined || said === undefined) continue
    const base = typeof baseFlags === 'function' ? baseFlags(def.path) : baseFlags
    const given = build({ ...base, [name]: rawDefault(table, name, said) })
    const left = build(base)
    expect(at(given, def.path), `--${name} says (default ${said})`).toEqual(at(left, def.path))
    names.push(name)
  }
  return names
}

describe('a "(default N)" in a flag\'s help is the schema\'s default', () => {
  it('bench', () => {
    // A session flag's default shows in a sessions block, which needs synthetic turns and a bound to be valid.
    // A tools flag's default shows in a tools block, which needs its file (never read while the scenario is built).
    const base = (path: string) =>
      path.startsWith('input.sessions.')
        ? { url: 'http://127.0.0.1:9', turns: '2', sessions: '4' }
        : path.startsWith('input.tools.')
          ? { url: 'http://127.0.0.1:9', tools: 'tools.json' }
          : { url: 'http://127.0.0.1:9' }
    const names = checked(BENCH_FLAGS, (raw) => benchScenarioFromFlags(readFlags(BENCH_FLAGS, raw)).scenario, base)
    expect(names).toEqual(
      expect.arrayContaining([
        'api',
        'requests',
        'sweep-steps',
        'seed',
        'input-tokens',
        'connect-timeout',
        'max-event-bytes',
        'grace',
        'think-time',
        'system-prompt-tokens',
        'tool-choice',
        'tool-share',
      ]),
    )
  })

  it("bench --sim's timing", () => {
    const defaults = simEndpointSchema.parse({})
    expect(BENCH_FLAGS['sim-ttft-ms'].description).toContain(`(default ${defaults.ttftMs})`)
    expect(BENCH_FLAGS['sim-itl-ms'].description).toContain(`(default ${defaults.itlMs})`)
  })

  it('compare', () => {
    const base = { 'url-a': 'http://127.0.0.1:9', 'url-b': 'http://127.0.0.1:10' }
    const names = checked(COMPARE_FLAGS, (raw) => compareScenarioFromFlags(readFlags(COMPARE_FLAGS, raw)).scenario, base)
    expect(names).toEqual(['design', 'rounds', 'requests-per-block'])
  })

  it('sim', () => {
    // A fault flag makes the faults block exist, so that --retry-after-s's default shows.
    const names = checked(SIM_FLAGS, (raw) => simEndpointsFromFlags(readFlags(SIM_FLAGS, raw)).sim, { 'fault-429-rate': '0' })
    expect(names).toEqual(['seed', 'output-tokens', 'retry-after-s'])
  })

  it('attest', () => {
    const names = checked(ATTEST_FLAGS, (raw) => attestScenarioFromFlags(readFlags(ATTEST_FLAGS, raw)).scenario, { url: 'http://127.0.0.1:9' })
    expect(names).toEqual(['source', 'claimed'])
  })
})
