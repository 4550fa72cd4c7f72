/**
 * The simulator (`geopat sim`) in a child process of its own, as a user would start it, its
 * /metrics, and its warm-up before anything is measured.
 */
import { execa } from 'execa'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type MetricSamples, delta as metricDelta, parsePrometheusText } from '../../src/client/prometheus.js'
import { PACKAGE_ROOT } from '../../src/util/version.js'
import { geopatRequestBody } from './request-bodies.js'

/** geopat's command line, run with this Node as a user would run it. */
export const GEOPAT_BIN = join(PACKAGE_ROOT, 'bin', 'run.js')

export interface SimSettings {
  ttftMs: number
  itlMs: number
  coalesce?: number
  jitterMs?: number
  /** Output length when a request sets no max tokens. */
  outputTokens?: number
  /** Keep the simulator's request log (--request-log), for the shared-clock truth. */
  requestLog?: boolean
}

export interface RunningSim {
  url: string
  settings: SimSettings
  /** The simulator's request log (when asked for): one line per request, on the machine's clock. */
  requestLogPath?: string
  /** Scrapes GET /metrics now. */
  scrape(): Promise<MetricSamples>
  stop(): Promise<void>
}

/**
 * `geopat sim --port 0 --ttft-ms … --itl-ms … [--coalesce k]` (fixed timing) in a child process, resolved once it
 * prints its "listening on URL" line. Driven through the CLI (the documented interface), as a user
 * would start it, so that the benchmark does not depend on internal APIs.
 */
export async function startSim(settings: SimSettings, timeoutMs = 30_000): Promise<RunningSim> {
  const args = ['--ttft-ms', String(settings.ttftMs), '--itl-ms', String(settings.itlMs)]
  if (settings.coalesce !== undefined) args.push('--coalesce', String(settings.coalesce))
  if (settings.jitterMs !== undefined) args.push('--jitter-ms', String(settings.jitterMs))
  if (settings.outputTokens !== undefined) args.push('--output-tokens', String(settings.outputTokens))
  return launchSim(args, settings, timeoutMs)
}

/** `geopat sim --port 0 --profile FILE`: the engine model of a profile file, behind HTTP. */
export async function startProfileSim(profileFile: string, timeoutMs = 30_000, extraArgs: readonly string[] = []): Promise<RunningSim> {
  return launchSim(['--profile', profileFile, ...extraArgs], { ttftMs: 0, itlMs: 0 }, timeoutMs)
}

async function launchSim(simArgs: string[], settings: SimSettings, timeoutMs: number): Promise<RunningSim> {
  const args = ['sim', '--port', '0', ...simArgs]
  const logDir = settings.requestLog ? mkdtempSync(join(tmpdir(), 'geopat-sim-log-')) : undefined
  const requestLogPath = logDir !== undefined ? join(logDir, 'requests.jsonl') : undefined
  if (requestLogPath !== undefined) args.push('--request-log', requestLogPath)
  const child = execa(process.execPath, [GEOPAT_BIN, ...args], {
    reject: false,
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    env: { GEOPAT_DEBUG: '' },
  })
  let output = ''
  let exited = false
  void child.then(() => (exited = true))
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`geopat ${args.join(' ')} did not start within ${timeoutMs / 1000} s: ${output.trim()}`)), timeoutMs)
      const onData = (data: Buffer): void => {
        output += data.toString()
        const match = /listening on (http:\/\/[^\s,)]+)/.exec(output)
        if (match?.[1]) {
          clearTimeout(timer)
          resolve(match[1])
        }
      }
      child.stdout?.on('data', onData)
      child.stderr?.on('data', onData)
      void child.then((result) => {
        clearTimeout(timer)
        reject(new Error(`geopat ${args.join(' ')} exited (${result.exitCode ?? result.signal}): ${output.trim().split('\n').slice(0, 5).join(' | ')}`))
      })
    })
    return {
      url,
      settings,
      ...(requestLogPath !== undefined ? { requestLogPath } : {}),
      scrape: async () => {
        if (exited) throw new Error(`the simulator exited during the run: ${output.trim().split('\n').slice(-5).join(' | ')}`)
        return scrapeMetrics(url)
      },
      async stop() {
        child.kill('SIGTERM')
        await child
        if (logDir !== undefined) rmSync(logDir, { recursive: true, force: true })
      },
    }
  } catch (error) {
    child.kill('SIGKILL')
    await child
    throw error
  }
}

export type { MetricSamples }

export async function scrapeMetrics(baseUrl: string): Promise<MetricSamples> {
  const response = await fetch(`${baseUrl}/metrics`)
  if (!response.ok) throw new Error(`GET ${baseUrl}/metrics: HTTP ${response.status}`)
  return parsePrometheusText(await response.text())
}

/** The simulator's own figures over exactly one run: deltas of its counters between two scrapes. */
export interface ServerWindow {
  /** Requests that produced all their tokens (finished_reason "length" or "stop"). */
  completed: number
  aborted: number
  generationTokens: number
  /** vllm:time_to_first_token_seconds: the ENGINE's scheduled first-token offset from receipt, mean, ms. */
  ttftMeanMs: number | null
  /** vllm:inter_token_latency_seconds: scheduled gap between successive tokens, mean, ms. */
  itlMeanMs: number | null
  /** vllm:e2e_request_latency_seconds, mean, ms. */
  e2eMeanMs: number | null
  /** geopat_sim_emit_lateness_seconds: actual socket write time − scheduled time, mean over writes, ms. */
  emitLatenessMeanMs: number | null
  /** Socket writes of tokens in the window. */
  writes: number
}

export function serverWindow(before: MetricSamples, after: MetricSamples): ServerWindow {
  const delta = (name: string): number => metricDelta(before, after, name)
  const meanMs = (histogram: string): number | null => {
    const count = delta(`${histogram}_count`)
    return count > 0 ? (delta(`${histogram}_sum`) / count) * 1000 : null
  }
  return {
    completed: delta('vllm:request_success_total:length') + delta('vllm:request_success_total:stop'),
    aborted: delta('vllm:request_success_total:abort'),
    generationTokens: delta('vllm:generation_tokens_total'),
    ttftMeanMs: meanMs('vllm:time_to_first_token_seconds'),
    itlMeanMs: meanMs('vllm:inter_token_latency_seconds'),
    e2eMeanMs: meanMs('vllm:e2e_request_latency_seconds'),
    emitLatenessMeanMs: meanMs('geopat_sim_emit_lateness_seconds'),
    writes: delta('geopat_sim_emit_lateness_seconds_count'),
  }
}

export async function servedModel(baseUrl: string): Promise<string> {
  const models = (await (await fetch(`${baseUrl}/v1/models`)).json()) as { data?: Array<{ id?: string }> }
  return models.data?.[0]?.id ?? 'geopat-sim'
}

/**
 * Warms a fresh simulator up (its JIT, tokenizer and SSE paths) with `requests` short streamed
 * requests, `concurrency` at a time, from this driver process, before anything is measured: a
 * cold simulator takes tens of ms to read its first requests, which would land in the client's
 * TTFT but not in the server's.
 */
export async function warmSimulator(
  baseUrl: string,
  options: { requests: number; concurrency: number; outputTokens?: number; inputTokens?: number },
): Promise<void> {
  const body = geopatRequestBody({
    model: await servedModel(baseUrl),
    inputTokens: options.inputTokens ?? 64,
    outputTokens: options.outputTokens ?? 8,
    fixedOutput: true,
  })
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < options.requests) {
      next++
      const response = await fetch(`${baseUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      })
      await response.text()
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, options.requests)) }, worker))
}
