import { Console } from 'node:console'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { flush, run } from '@oclif/core'
import { Exit, handle } from '@oclif/core/handle'
import type { CliResult } from './cli.js'

/**
 * The built CLI run inside the test's own process: what bin/run.js does (`execute`: oclif's `run`,
 * then `flush`, or `handle` on an error), with what a process of its own would have kept apart
 * taken apart by hand, so that the result is the one the binary gives:
 * - stdout and stderr: `process.stdout.write`, `process.stderr.write` and `console` (oclif's
 *   `this.log` and its error printer use console) are captured for the call, as pipes (not TTYs);
 * - the environment: the caller's variables over this process's, as execa's `env` gives a child;
 * - the exit code: `handle` ends with oclif's `Exit.exit(code)`, the only path by which the binary
 *   leaves early, which is stubbed to record the code; otherwise `process.exitCode`, or 0;
 *   `process.exit` itself (a second Ctrl-C, never reached here) records and throws;
 * - what the process's end would drop: `process.exitCode` is restored, and the 'exit' listeners that
 *   the call added run once with the code (as they would when the binary exits) and are removed,
 *   with every other process listener the call added (signals, SIGXFSZ), and the 'drain' listeners
 *   it left on process.stdout and process.stderr (oclif's `flush` adds one to stdout and leaves it
 *   when the write needs no drain: one per call, and at the 11th call in a worker Node warned
 *   "MaxListenersExceededWarning: 11 drain listeners added to [Socket]", captured as that call's stderr).
 * Modules stay loaded between calls (that is the saving: ~0.2–0.5 s of CPU per start); geopat's
 * commands keep no state at module level beyond caches of files that do not change (the corpus
 * text, number formats). Calls in one process must not overlap (one stdout): `inProcessBusy` says when
 * one is running, and runCli then starts the binary instead.
 */

const REPO_ROOT = join(import.meta.dirname, '..', '..')
let busy = false
let manifestChecked: Promise<void> | undefined

export function inProcessBusy(): boolean {
  return busy
}

/** The events whose listeners a call may add and a process of its own would drop when it ends. */
const PROCESS_EVENTS = [
  'exit',
  'beforeExit',
  'SIGINT',
  'SIGTERM',
  'SIGHUP',
  'SIGXFSZ',
  'disconnect',
  'warning',
  'unhandledRejection',
  'uncaughtException',
] as const

class ProcessExitCalled extends Error {
  constructor(readonly code: number) {
    super(`process.exit(${code})`)
  }
}

interface Captured {
  stdout: string
  stderr: string
}

function captureOutput(): { captured: Captured; restore: () => void } {
  const captured: Captured = { stdout: '', stderr: '' }
  const streams = [
    [process.stdout, 'stdout'],
    [process.stderr, 'stderr'],
  ] as const
  const saved = streams.map(([stream]) => ({ write: stream.write, isTTY: Object.getOwnPropertyDescriptor(stream, 'isTTY') }))
  for (const [stream, name] of streams) {
    stream.write = ((chunk: string | Uint8Array, encoding?: BufferEncoding | ((error?: Error | null) => void), callback?: (error?: Error | null) => void) => {
      captured[name] += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString(typeof encoding === 'string' ? encoding : 'utf8')
      const done = typeof encoding === 'function' ? encoding : callback
      if (done) process.nextTick(done)
      return true
    }) as typeof stream.write
    Object.defineProperty(stream, 'isTTY', { value: false, configurable: true, writable: true })
  }
  // Node prints a process warning on stderr, the first one of a process with a hint (the binary's
  // process is new each time), as written here.
  let warned = false
  const onWarning = (warning: Error & { code?: string }): void => {
    const code = warning.code ? `[${warning.code}] ` : ''
    const trace = warning.name === 'DeprecationWarning' ? 'deprecation' : 'warnings'
    const hint = warned ? '' : `(Use \`node --trace-${trace} ...\` to show where the warning was created)\n`
    warned = true
    captured.stderr += `(node:${process.pid}) ${code}${warning.name}: ${warning.message}\n${hint}`
  }
  // This process's own warning listeners (vitest's) would print them a second time, in their way.
  const warningListeners = process.listeners('warning')
  process.removeAllListeners('warning')
  process.on('warning', onWarning)
  const savedConsole = globalThis.console
  globalThis.console = new Console({ stdout: process.stdout, stderr: process.stderr, colorMode: false })
  const restore = (): void => {
    process.off('warning', onWarning)
    for (const listener of warningListeners) process.on('warning', listener)
    globalThis.console = savedConsole
    streams.forEach(([stream], index) => {
      const { write, isTTY } = saved[index] as (typeof saved)[number]
      stream.write = write
      if (isTTY) Object.defineProperty(stream, 'isTTY', isTTY)
      else delete (stream as { isTTY?: boolean }).isTTY
    })
  }
  return { captured, restore }
}

/** `process.env` as the binary's would be: this process's variables, then `env` over them. */
function withEnvironment(env: Record<string, string>): () => void {
  const saved = { ...process.env }
  Object.assign(process.env, env)
  return () => {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name]
    Object.assign(process.env, saved)
  }
}

type Listener = (...args: unknown[]) => void

/** Records the listeners of `events` on `emitter` now; the returned function gives those added since. */
function listenersAddedSince(emitter: NodeJS.EventEmitter, events: readonly string[]): () => Array<[string, Listener]> {
  const before = new Map(events.map((event) => [event, new Set(emitter.listeners(event))]))
  return () =>
    events.flatMap((event) =>
      emitter
        .listeners(event)
        .filter((listener) => !before.get(event)?.has(listener))
        .map((listener) => [event, listener as Listener] as [string, Listener]),
    )
}

async function dropStaleManifestOnce(): Promise<void> {
  manifestChecked ??= import(pathToFileURL(join(REPO_ROOT, 'dist', 'src', 'util', 'oclif-manifest.js')).href).then(
    (module: { dropStaleManifest: (root: string) => void }) => module.dropStaleManifest(REPO_ROOT),
  )
  await manifestChecked
}

/** bin/run.js's `execute({ dir })`, its exit code recorded instead of ending the process. */
async function execute(args: string[]): Promise<number | undefined> {
  let exitedWith: number | undefined
  const exit = Exit.exit
  const processExit = process.exit
  Exit.exit = ((code = 0) => {
    exitedWith = code
  }) as typeof Exit.exit
  process.exit = ((code?: number) => {
    throw new ProcessExitCalled(code ?? Number(process.exitCode ?? 0))
  }) as typeof process.exit
  try {
    await run(args, REPO_ROOT)
      .then(async () => flush())
      .catch(async (error: unknown) => {
        if (error instanceof ProcessExitCalled) exitedWith = error.code
        else await handle(error as Error)
      })
  } finally {
    Exit.exit = exit
    process.exit = processExit
  }
  return exitedWith
}

/** Runs `geopat ARGS` in this process as runCli's options say; see the header. */
export async function runCliInProcess(args: string[], env: Record<string, string>, timeoutMs: number): Promise<CliResult> {
  if (busy) throw new Error('runCliInProcess: another call is running in this process')
  if (process.cwd() !== REPO_ROOT) throw new Error(`runCliInProcess: the working folder is ${process.cwd()}, not ${REPO_ROOT}`)
  busy = true
  try {
    await dropStaleManifestOnce()
  } catch (error) {
    busy = false
    throw error
  }
  const savedExitCode = process.exitCode
  process.exitCode = undefined
  const restoreEnvironment = withEnvironment(env)
  const { captured, restore } = captureOutput()
  const added = listenersAddedSince(process, PROCESS_EVENTS)
  // oclif's flush leaves a 'drain' listener on stdout per call (harmless in the binary, whose process ends).
  const drainAdded = [process.stdout, process.stderr].map((stream) => ({ stream, added: listenersAddedSince(stream, ['drain']) }))
  let timer: NodeJS.Timeout | undefined
  let exitCode: number
  try {
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`geopat ${args.join(' ')} did not finish within ${timeoutMs} ms (in-process)`)), timeoutMs)
    })
    const exitedWith = await Promise.race([execute(args), timedOut])
    // Warnings are emitted on the next tick, and the binary prints them before it exits.
    await new Promise((resolve) => setImmediate(resolve))
    exitCode = exitedWith ?? Number(process.exitCode ?? 0)
    // The process ends here: its 'exit' listeners run with the code, then every listener it added goes.
    for (const [event, listener] of added()) {
      if (event === 'exit') listener(exitCode)
      process.off(event, listener)
    }
  } finally {
    clearTimeout(timer)
    for (const { stream, added: addedToStream } of drainAdded) for (const [event, listener] of addedToStream()) stream.off(event, listener)
    restore()
    restoreEnvironment()
    process.exitCode = savedExitCode
    busy = false
  }
  // execa's stripFinalNewline, as runCli's binary path gives it.
  return { exitCode, stdout: stripFinalNewline(captured.stdout), stderr: stripFinalNewline(captured.stderr) }
}

const stripFinalNewline = (text: string): string => text.replace(/\r?\n$/, '')
