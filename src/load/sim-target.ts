import { type ResultPromise, execa } from 'execa'
import { join } from 'node:path'
import { UserError } from '../util/errors.js'
import { PACKAGE_ROOT } from '../util/version.js'

export interface LaunchedSimulator {
  url: string
  stop(): Promise<void>
}

/**
 * Starts `geopat sim` in a child process on a free loopback port and resolves once it listens.
 * A separate process keeps the simulator's work off the load client's event loop, as a real
 * server would be.
 */
export async function launchSimulator(simArgs: string[], timeoutMs = 20_000): Promise<LaunchedSimulator> {
  const child: ResultPromise = execa(process.execPath, [join(PACKAGE_ROOT, 'bin', 'run.js'), 'sim', '--port', '0', ...simArgs], {
    reject: false,
    stdin: 'ignore',
    stderr: 'pipe',
    stdout: 'pipe',
    env: { GEOPAT_DEBUG: '' },
  })
  let output = ''
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new UserError(`the simulator did not start within ${timeoutMs / 1000} s: ${output.trim()}`)), timeoutMs)
    const onData = (data: Buffer): void => {
      output += data.toString()
      const match = /listening on (http:\/\/\S+)/.exec(output)
      if (match?.[1]) {
        clearTimeout(timer)
        resolve(match[1])
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', (data: Buffer) => (output += data.toString()))
    void child.then((result) => {
      clearTimeout(timer)
      reject(new UserError(`the simulator exited (${result.exitCode}): ${output.trim().split('\n')[0] ?? ''}`))
    })
  })
  return {
    url,
    async stop() {
      child.kill('SIGTERM')
      await child
    },
  }
}
