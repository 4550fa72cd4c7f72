import type { ResultPromise } from 'execa'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { SimConfig } from '../io/schema/sim-endpoint.js'
import { UserError } from '../util/errors.js'
import { PACKAGE_ROOT } from '../util/version.js'

export interface LaunchedSimulator {
  /** Base URL of each endpoint, by name. */
  urls: Record<string, string>
  stop(): Promise<void>
}

/**
 * Starts `geopat sim --config` in a child process with every endpoint on a free loopback port,
 * and resolves once all of them listen. A separate process keeps the simulator's work off the
 * load client's event loop, as a real server would be.
 *
 * The child lives exactly as long as this process needs it. It has its own process group
 * (detached), so that a terminal's Ctrl-C, which goes to the whole foreground group, reaches only
 * this process: the streams in flight get their grace period from a simulator still serving, and
 * `stop()` ends it after. It has an IPC channel, which the kernel closes when this process dies
 * (kill -9 included): the simulator stops then (see sim/signals.ts), instead of listening on
 * as an orphan. `spinBelowMs` is `geopat sim --spin-below-ms` (absent: the simulator's default).
 */
export async function launchSimulator(
  endpoints: SimConfig['endpoints'],
  options: { timeoutMs?: number; spinBelowMs?: number } = {},
): Promise<LaunchedSimulator> {
  const timeoutMs = options.timeoutMs ?? 30_000
  const names = Object.keys(endpoints)
  const dir = mkdtempSync(join(tmpdir(), 'geopat-sim-'))
  const configPath = join(dir, 'sim.json')
  const withFreePorts = Object.fromEntries(Object.entries(endpoints).map(([name, config]) => [name, { ...config, port: 0 }]))
  writeFileSync(configPath, JSON.stringify({ endpoints: withFreePorts }))
  const { execa } = await import('execa') // loaded only by a run with sim: endpoints
  const spin = options.spinBelowMs !== undefined ? ['--spin-below-ms', String(options.spinBelowMs)] : []
  const child: ResultPromise = execa(process.execPath, [join(PACKAGE_ROOT, 'bin', 'run.js'), 'sim', '--config', configPath, ...spin], {
    reject: false,
    detached: true,
    ipc: true,
    serialization: 'json',
    stdin: 'ignore',
    stderr: 'pipe',
    stdout: 'pipe',
    env: { GEOPAT_DEBUG: '' },
  })
  let output = ''
  const urls: Record<string, string> = {}
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new UserError(`the simulator did not start within ${timeoutMs / 1000} s: ${output.trim()}`)), timeoutMs)
      child.stdout?.on('data', (data: Buffer) => {
        output += data.toString()
        for (const match of output.matchAll(/listening on (http:\/\/\S+) \(([^:]+):/g)) urls[match[2] as string] = match[1] as string
        if (names.every((name) => urls[name] !== undefined)) {
          clearTimeout(timer)
          resolve()
        }
      })
      child.stderr?.on('data', (data: Buffer) => (output += data.toString()))
      void child.then((result) => {
        clearTimeout(timer)
        reject(new UserError(`the simulator exited (${result.exitCode}): ${output.trim().split('\n')[0] ?? ''}`))
      })
    })
  } catch (error) {
    child.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
    throw error
  }
  return {
    urls,
    async stop() {
      child.kill('SIGTERM')
      await child
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
