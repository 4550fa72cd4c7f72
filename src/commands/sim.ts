import { Flags } from '@oclif/core'
import {
  findFixedSimOptionProblem,
  startFixedSimServer,
  type FixedSimOptionName,
  type FixedSimOptions,
  type SimStats,
} from '../sim/fixed-server.js'
import { DEFAULT_OUTPUT_TOKENS, DEFAULT_SIM_HOST, DEFAULT_SIM_MODEL } from '../sim/sim-server.js'
import { waitForTerminationSignal } from '../sim/signals.js'
import { GeopatCommand } from '../util/base-command.js'
import { UserError } from '../util/errors.js'

/** Any number (ranges are checked after parsing, so that the message names the flag and rule). */
const numberFlag = Flags.custom<number>({ parse: async (input) => (input.trim() === '' ? Number.NaN : Number(input)) })

const FLAG_OF_OPTION: Record<FixedSimOptionName, string> = {
  port: '--port',
  ttftMs: '--ttft-ms',
  itlMs: '--itl-ms',
  jitterMs: '--jitter-ms',
  seed: '--seed',
  coalesce: '--coalesce',
  defaultOutputTokens: '--output-tokens',
  spinBelowMs: '--spin-below-ms',
  'faults.rate429': '--fault-429-rate',
  'faults.rate500': '--fault-500-rate',
  'faults.rateCut': '--fault-cut-rate',
  'faults.rateHang': '--fault-hang-rate',
  'faults.retryAfterS': '--retry-after-s',
}

export default class Sim extends GeopatCommand {
  static override description =
    'Run an OpenAI-compatible streaming server with fixed timing (a target for geopat bench without a GPU)'

  static override examples = [
    '<%= config.bin %> sim',
    '<%= config.bin %> sim --port 8001 --ttft-ms 80 --itl-ms 8 --jitter-ms 1',
    '<%= config.bin %> sim --fault-429-rate 0.05 --fault-cut-rate 0.01',
  ]

  static override flags = {
    port: numberFlag({ description: 'port to listen on (0 = any free port)', default: 8000 }),
    host: Flags.string({ description: 'address to listen on', default: DEFAULT_SIM_HOST }),
    'ttft-ms': numberFlag({ description: 'time to first token, ms after the request arrives', default: 100 }),
    'itl-ms': numberFlag({ description: 'inter-token latency, ms', default: 10 }),
    'jitter-ms': numberFlag({ description: 'uniform ± jitter on each token deadline, ms', default: 0 }),
    seed: numberFlag({ description: 'seed of jitter and random faults', default: 1 }),
    model: Flags.string({ description: 'served model name', default: DEFAULT_SIM_MODEL }),
    coalesce: numberFlag({ description: 'tokens per socket write (SSE events sent together)', default: 1 }),
    'output-tokens': numberFlag({
      description: 'output length when a request sets no max_tokens',
      default: DEFAULT_OUTPUT_TOKENS,
    }),
    'spin-below-ms': numberFlag({
      description: 'busy-wait for token deadlines closer than this (sub-ms precision, costs CPU)',
      default: 0,
    }),
    'fault-429-rate': numberFlag({ description: 'probability of a 429 answer per request', default: 0 }),
    'fault-500-rate': numberFlag({ description: 'probability of a 500 answer per request', default: 0 }),
    'fault-cut-rate': numberFlag({ description: 'probability of a stream cut halfway per request', default: 0 }),
    'fault-hang-rate': numberFlag({ description: 'probability of a request never answered', default: 0 }),
    'retry-after-s': numberFlag({ description: 'Retry-After seconds sent with 429 answers', default: 1 }),
  }

  async run(): Promise<{ url: string; stats: SimStats }> {
    const { flags } = await this.parse(Sim)
    const options: FixedSimOptions = {
      host: flags.host,
      port: flags.port,
      ttftMs: flags['ttft-ms'],
      itlMs: flags['itl-ms'],
      jitterMs: flags['jitter-ms'],
      seed: flags.seed,
      model: flags.model,
      coalesce: flags.coalesce,
      defaultOutputTokens: flags['output-tokens'],
      spinBelowMs: flags['spin-below-ms'],
      faults: {
        rate429: flags['fault-429-rate'],
        rate500: flags['fault-500-rate'],
        rateCut: flags['fault-cut-rate'],
        rateHang: flags['fault-hang-rate'],
        retryAfterS: flags['retry-after-s'],
      },
    }
    const problem = findFixedSimOptionProblem(options, (name) => FLAG_OF_OPTION[name])
    if (problem !== undefined) throw new UserError(problem)

    // Listen for the stop signal before starting, so that one arriving during start-up is not lost.
    const stopSignal = waitForTerminationSignal()
    const server = await startFixedSimServer(options).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') throw new UserError(`--port ${options.port} is already in use on ${options.host}`)
      if (error.code === 'EADDRNOTAVAIL') throw new UserError(`--host ${options.host} is not an address of this machine`)
      throw error
    })
    const line = `geopat sim listening on ${server.url} (model ${flags.model}, ttft ${options.ttftMs}ms, itl ${options.itlMs}ms)`
    // With --json, stdout is reserved for the final JSON; the address still has to reach the user.
    if (this.jsonEnabled()) this.logToStderr(line)
    else this.log(line)

    await stopSignal
    await server.close()
    return { url: server.url, stats: server.stats() }
  }
}
