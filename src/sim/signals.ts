/** Why a simulator stops: a signal, or the process that started it went away. */
export type SimStopReason = NodeJS.Signals | 'parent gone'

/** How often the backstop looks whether the parent is still there. */
const PARENT_POLL_MS = 500

/**
 * `stopped` resolves on the first SIGINT or SIGTERM, with the signal's name; its listeners are
 * removed after (and by `release`, for a simulator that failed to start).
 *
 * A simulator started by another process with an IPC channel (geopat bench, compare and run start
 * theirs so, see load/sim-target.ts) also stops when that parent goes away, kill -9 included: the
 * kernel closes the channel when the parent dies ('disconnect'), and, as a backstop, the parent
 * process id changes once the simulator is re-parented. Node has no portable PR_SET_PDEATHSIG.
 * Once resolved or released, the channel no longer keeps the process alive.
 */
export function waitForStop(): { stopped: Promise<SimStopReason>; release(): void } {
  let release = (): void => undefined
  const stopped = new Promise<SimStopReason>((resolve) => {
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM']
    const managed = process.channel !== undefined
    const parent = process.ppid
    let poll: NodeJS.Timeout | undefined
    const finish = (reason: SimStopReason | undefined): void => {
      for (const name of signals) process.off(name, onSignal)
      if (managed) {
        process.off('disconnect', onDisconnect)
        clearInterval(poll)
        if (process.connected) process.disconnect()
      }
      if (reason !== undefined) resolve(reason)
    }
    release = () => finish(undefined)
    const onSignal = (signal: NodeJS.Signals): void => finish(signal)
    const onDisconnect = (): void => finish('parent gone')
    for (const name of signals) process.on(name, onSignal)
    if (!managed) return
    if (!process.connected) return finish('parent gone')
    process.on('disconnect', onDisconnect)
    poll = setInterval(() => {
      if (process.ppid !== parent) finish('parent gone')
    }, PARENT_POLL_MS)
    poll.unref()
  })
  return { stopped, release: () => release() }
}
