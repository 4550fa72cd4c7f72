import { readFileSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { join } from 'node:path'

/**
 * A guard that lets sockets reach this machine only: while it is live, a connect to any host other
 * than 127.0.0.1, ::1 or localhost (a real AWS endpoint, the metadata service at 169.254.169.254)
 * is written down and fails as a refused connection would. It is live in this process (the test's
 * own code and the CLI that runCli runs in-process) and in every CLI child that runCli starts
 * meanwhile (test/helpers/cli.ts adds `guardChildEnv()`; a child started by hand spreads it into
 * its env). `takeRefusedConnections` gives the hosts refused here and in those children.
 *
 * The S3 tests install it for each file (s3ServerPerFile): the AWS SDK's credential chain, region
 * and endpoint resolution run in this process now, and no developer's ~/.aws, IMDS or real AWS
 * host may take part unnoticed.
 */

/**
 * Makes net.Socket's connect (http and https agents, tls.connect, fetch, the AWS SDK's handler all
 * go through it) refuse a host other than 127.0.0.1, ::1 or localhost: `refused(host)` is called
 * and the socket is destroyed with ECONNREFUSED on the next tick. A Unix socket (a path) passes.
 * Returns what puts the original back.
 * Self-contained (no import and no name from outside): its source text is also the module that a
 * CLI child loads with --import (`childGuardModule`).
 */
function guardSocketConnect(prototype: net.Socket, refused: (host: string) => void): () => void {
  const loopback = new Set(['127.0.0.1', '::1', 'localhost'])
  const connect = prototype.connect
  prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]) {
    const first = Array.isArray(args[0]) ? args[0][0] : args[0]
    const options = typeof first === 'object' && first !== null ? first : { port: first, host: typeof args[1] === 'string' ? args[1] : 'localhost' }
    // A Unix socket has a path (text); http's agent passes path: null with a host.
    const host = typeof options.path === 'string' ? undefined : String(options.host ?? 'localhost')
    if (host !== undefined && !loopback.has(host)) {
      refused(host)
      process.nextTick(() => this.destroy(Object.assign(new Error(`test guard: no connection to ${host}`), { code: 'ECONNREFUSED' })))
      return this
    }
    return (connect as (...all: unknown[]) => net.Socket).apply(this, args)
  } as typeof connect
  return () => {
    prototype.connect = connect
  }
}

/** The module a CLI child loads with --import: the same guard, each refused host appended to `log`. */
const childGuardModule = (log: string): string => `import net from 'node:net'
import { appendFileSync } from 'node:fs'
;(${guardSocketConnect.toString()})(net.Socket.prototype, (host) => appendFileSync(${JSON.stringify(log)}, host + '\\n'))
`

interface LiveGuard {
  /** Hosts refused in this process since the last take. */
  refused: string[]
  /** Where guarded children append the hosts they refused. */
  childLog: string
  /** The module a child loads with --import. */
  childModule: string
  remove: () => void
}

let live: LiveGuard | undefined

/**
 * Makes the guard live in this process and in the CLI children runCli starts, until
 * `removeLoopbackGuard`; its child module and log are written in `dir` (a temporary folder of the
 * caller's). One at a time.
 */
export function installLoopbackGuard(dir: string): void {
  if (live) throw new Error('installLoopbackGuard: a guard is already live in this process')
  const childModule = join(dir, 'loopback-guard.mjs')
  const childLog = join(dir, 'connections-elsewhere.log')
  writeFileSync(childModule, childGuardModule(childLog))
  writeFileSync(childLog, '')
  const refused: string[] = []
  const remove = guardSocketConnect(net.Socket.prototype, (host) => refused.push(host))
  live = { refused, childLog, childModule, remove }
}

export function removeLoopbackGuard(): void {
  live?.remove()
  live = undefined
}

/** The environment that loads the live guard into a child process, after this process's NODE_OPTIONS ({} when none is live). */
export function guardChildEnv(): Record<string, string> {
  if (!live) return {}
  return { NODE_OPTIONS: [process.env.NODE_OPTIONS, `--import=${live.childModule}`].filter(Boolean).join(' ') }
}

/** Hosts refused since the last call, in this process and then in its guarded children, one per attempt. */
export function takeRefusedConnections(): string[] {
  if (!live) throw new Error('takeRefusedConnections: no guard is live in this process')
  const inProcess = live.refused.splice(0)
  const inChildren = readFileSync(live.childLog, 'utf8').split('\n').filter(Boolean)
  writeFileSync(live.childLog, '')
  return [...inProcess, ...inChildren]
}
