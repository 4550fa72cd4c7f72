import { parseLengthFlag } from '../input/distributions.js'
import { loadYamlFile } from '../io/schema/load-file.js'
import { type Scenario, scenarioSchema } from '../io/schema/scenario.js'
import { UserError, describeZodIssues } from '../util/errors.js'

/** `geopat bench` flags as parsed by oclif (undefined = not given). */
export interface BenchFlags {
  scenario?: string
  url?: string
  label?: string
  model?: string
  api?: string
  'api-key-env'?: string
  header?: string[]
  insecure?: boolean
  'ca-file'?: string
  cert?: string
  key?: string
  profile?: string
  concurrency?: number
  rate?: number
  arrival?: string
  burstiness?: number
  'max-concurrency'?: number
  requests?: number
  duration?: number
  'ramp-up'?: number
  workers?: number
  warmup?: number
  cooldown?: number
  'sweep-steps'?: number
  'sweep-max-concurrency'?: number
  seed?: number
  'input-tokens'?: string
  'output-tokens'?: string
  prompts?: string
  'prefix-tokens'?: number
  'fixed-output'?: boolean
  'continuous-usage'?: boolean
  slo?: string
  'connect-timeout'?: number
  'ttft-timeout'?: number
  'idle-timeout'?: number
  'total-timeout'?: number
  'max-response-bytes'?: number
  'max-event-bytes'?: number
  retries?: number
  grace?: number
  'max-connect-errors'?: number
  'stall-timeout'?: number
  out?: string
}

/** Where each scenario field comes from on the command line, to name the flag in errors. */
const FLAG_FOR_PATH: Array<[RegExp, string]> = [
  [/^endpoints\.\d+\.url/, '--url'],
  [/^endpoints\.\d+\.label/, '--label'],
  [/^endpoints\.\d+\.model/, '--model'],
  [/^endpoints\.\d+\.api$/, '--api'],
  [/^endpoints\.\d+\.apiKeyEnv/, '--api-key-env'],
  [/^endpoints\.\d+\.headers/, '--header'],
  [/^load\.maxConcurrency/, '--max-concurrency'],
  [/^load\.rampUp/, '--ramp-up'],
  [/^load\.workers/, '--workers'],
  [/^load\.sweepSteps/, '--sweep-steps'],
  [/^load\.sweepMaxConcurrency/, '--sweep-max-concurrency'],
  [/^load\.(\w+)/, '--$1'],
  [/^input\.inputTokens/, '--input-tokens'],
  [/^input\.outputTokens/, '--output-tokens'],
  [/^input\.prefixTokens/, '--prefix-tokens'],
  [/^slo\./, '--slo'],
  [/^timeouts\.connectMs/, '--connect-timeout'],
  [/^timeouts\.firstTokenMs/, '--ttft-timeout'],
  [/^timeouts\.idleMs/, '--idle-timeout'],
  [/^timeouts\.totalMs/, '--total-timeout'],
  [/^limits\.maxResponseBytes/, '--max-response-bytes'],
  [/^limits\.maxEventBytes/, '--max-event-bytes'],
  [/^retries\./, '--retries'],
  [/^graceSeconds/, '--grace'],
  [/^serverLost\.connectErrors/, '--max-connect-errors'],
  [/^serverLost\.stallSeconds/, '--stall-timeout'],
]

function flagNameFor(path: string): string | undefined {
  for (const [pattern, flag] of FLAG_FOR_PATH) if (pattern.test(path)) return path.replace(pattern, flag).replace(/\..*$/, '')
  return undefined
}

/** `--slo ttft=500,tpot=50,e2e=10000` → { ttftMs, tpotMs, e2eMs }. */
export function parseSloFlag(text: string): Scenario['slo'] {
  const slo: Scenario['slo'] = {}
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const match = /^(ttft|tpot|e2e|e2el)\s*=\s*([0-9.]+)\s*(ms)?$/i.exec(part)
    const value = match ? Number(match[2]) : Number.NaN
    if (!match || !(value > 0)) throw new UserError(`--slo: "${part}" must look like ttft=MS, tpot=MS or e2e=MS with a positive number`)
    const key = (match[1] as string).toLowerCase()
    if (key === 'ttft') slo.ttftMs = value
    else if (key === 'tpot') slo.tpotMs = value
    else slo.e2eMs = value
  }
  return slo
}

function parseHeader(text: string): [string, string] {
  const colon = text.indexOf(':')
  if (colon <= 0) throw new UserError(`--header: "${text}" must look like "Name: value"`)
  return [text.slice(0, colon).trim(), text.slice(colon + 1).trim()]
}

function defined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}

/**
 * Turns flags (and an optional scenario file, which flags override) into a validated Scenario, so
 * that flags and files share one schema and one set of error messages.
 */
export function buildBenchScenario(flags: BenchFlags): { scenario: Scenario; source: string } {
  let base: Record<string, unknown> = {}
  let source = 'flags'
  if (flags.scenario) {
    // Validate the file on its own first so that its errors name the file.
    base = loadYamlFile(flags.scenario, scenarioSchema) as unknown as Record<string, unknown>
    source = flags.scenario
  }
  const baseEndpoints = (base.endpoints as Array<Record<string, unknown>> | undefined) ?? []
  const endpointOverrides = defined({
    url: flags.url,
    label: flags.label,
    model: flags.model,
    api: flags.api,
    apiKeyEnv: flags['api-key-env'],
    insecure: flags.insecure,
    caFile: flags['ca-file'],
    certFile: flags.cert,
    keyFile: flags.key,
    ...(flags.header ? { headers: Object.fromEntries(flags.header.map(parseHeader)) } : {}),
  })
  if (!flags.scenario && flags.url === undefined) throw new UserError('give --url (or --scenario FILE)')
  const endpoints =
    flags.url !== undefined || baseEndpoints.length === 0
      ? [{ ...endpointOverrides }]
      : baseEndpoints.map((endpoint) => ({ ...endpoint, ...endpointOverrides }))

  const baseLoad = (base.load as Record<string, unknown> | undefined) ?? {}
  const loadOverrides = defined({
    profile: flags.profile,
    concurrency: flags.concurrency,
    rate: flags.rate,
    arrival: flags.arrival,
    burstiness: flags.burstiness,
    maxConcurrency: flags['max-concurrency'],
    requests: flags.requests,
    duration: flags.duration,
    rampUp: flags['ramp-up'],
    workers: flags.workers,
    warmup: flags.warmup,
    cooldown: flags.cooldown,
    sweepSteps: flags['sweep-steps'],
    sweepMaxConcurrency: flags['sweep-max-concurrency'],
    seed: flags.seed,
  })
  // A flag that picks the load shape replaces the file's shape instead of mixing with it.
  if (loadOverrides.rate !== undefined) delete baseLoad.concurrency
  if (loadOverrides.concurrency !== undefined) delete baseLoad.rate
  const load: Record<string, unknown> = { ...baseLoad, ...loadOverrides }
  if (load.requests === undefined && load.duration === undefined && load.profile !== 'sweep') load.requests = 100
  if (load.profile === 'sweep' && load.requests === undefined && load.duration === undefined) load.duration = 10

  const input = {
    ...((base.input as Record<string, unknown> | undefined) ?? {}),
    ...defined({
      inputTokens: flags['input-tokens'] !== undefined ? parseLengthFlag(flags['input-tokens']) : undefined,
      outputTokens: flags['output-tokens'] !== undefined ? parseLengthFlag(flags['output-tokens']) : undefined,
      promptsFile: flags.prompts,
      prefixTokens: flags['prefix-tokens'],
      fixedOutput: flags['fixed-output'],
      continuousUsage: flags['continuous-usage'],
    }),
  }
  const timeouts = {
    ...((base.timeouts as Record<string, unknown> | undefined) ?? {}),
    ...defined({
      connectMs: seconds(flags['connect-timeout']),
      firstTokenMs: seconds(flags['ttft-timeout']),
      idleMs: seconds(flags['idle-timeout']),
      totalMs: seconds(flags['total-timeout']),
    }),
  }
  const limits = {
    ...((base.limits as Record<string, unknown> | undefined) ?? {}),
    ...defined({ maxResponseBytes: flags['max-response-bytes'], maxEventBytes: flags['max-event-bytes'] }),
  }
  const raw = {
    ...base,
    endpoints,
    load,
    input,
    timeouts,
    limits,
    ...(flags.slo !== undefined ? { slo: parseSloFlag(flags.slo) } : {}),
    ...(flags.retries !== undefined
      ? { retries: { ...((base.retries as Record<string, unknown> | undefined) ?? {}), max: flags.retries } }
      : {}),
    ...(flags.grace !== undefined ? { graceSeconds: flags.grace } : {}),
    ...(flags['max-connect-errors'] !== undefined || flags['stall-timeout'] !== undefined
      ? {
          serverLost: {
            ...((base.serverLost as Record<string, unknown> | undefined) ?? {}),
            ...defined({ connectErrors: flags['max-connect-errors'], stallSeconds: flags['stall-timeout'] }),
          },
        }
      : {}),
    ...(flags.out !== undefined ? { out: flags.out } : {}),
  }
  const result = scenarioSchema.safeParse(raw)
  if (!result.success) {
    const issue = result.error.issues[0]
    const path = issue ? issue.path.map(String).join('.') : ''
    const flag = flagNameFor(path)
    if (source === 'flags' && flag && issue) throw new UserError(`${flag}: ${issue.message}`)
    throw new UserError(describeZodIssues(source, result.error.issues))
  }
  return { scenario: result.data, source }
}

function seconds(value: number | undefined): number | undefined {
  return value === undefined ? undefined : value * 1000
}
