import { closeSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { UserError } from '../../util/errors.js'

/**
 * The lock of a run folder: a file created with O_EXCL that names its owner, held for the life of
 * the run; a lock left by a process that is gone (same host, pid no longer alive) is taken over.
 */

/** Held for the life of a run: {pid, host, runId, startedAt}. */
export const LOCK_FILE = '.geopat.lock'

interface LockOwner {
  pid: number
  host: string
  runId: string
  startedAt: string
}

function readLock(path: string): LockOwner | null | undefined {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    return null
  }
  try {
    const owner = JSON.parse(text) as LockOwner
    return typeof owner.pid === 'number' && typeof owner.host === 'string' ? owner : null
  } catch {
    return null
  }
}

/** A lock file created in the last few seconds: its owner may not have written it yet. */
function lockIsFresh(path: string): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs < 5_000
  } catch {
    return false
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export function takeLock(dir: string, display: string, runId: string, log: (line: string) => void): () => void {
  const path = join(dir, LOCK_FILE)
  const mine: LockOwner = { pid: process.pid, host: hostname(), runId, startedAt: new Date().toISOString() }
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number
    try {
      fd = openSync(path, 'wx')
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code !== 'EEXIST') throw new UserError(`${display}: cannot create the lock file ${LOCK_FILE} (${code ?? 'error'})`)
      takeOverStaleLock(path, display, mine, log)
      continue
    }
    return writeLock(fd, path, mine)
  }
  throw new UserError(`${display}: could not take the lock ${LOCK_FILE}; try again`)
}

function inUse(display: string, owner: LockOwner): UserError {
  return new UserError(
    `${display}: in use by run ${owner.runId} (pid ${owner.pid} on ${owner.host}, since ${owner.startedAt}); wait for it to end or give another folder`,
  )
}

/**
 * A lock file exists: throws when its owner may still run (or it is no geopat lock); removes it
 * when its owner is gone, so that the caller tries again. Returns also when it vanished meanwhile.
 */
function takeOverStaleLock(path: string, display: string, mine: LockOwner, log: (line: string) => void): void {
  const owner = readLock(path)
  if (owner === undefined) return
  // Empty or half-written for a moment: another run created it and is writing its owner now.
  if (owner === null && lockIsFresh(path))
    throw new UserError(`${display}: in use by another geopat run that is starting; wait for it to end or give another folder`)
  if (owner === null) throw new UserError(`${display}: ${path} is not a geopat lock; if no geopat run uses this folder, delete it`)
  if (owner.host !== mine.host || isAlive(owner.pid)) throw inUse(display, owner)
  // Stale: moved aside first, so that of two processes taking it over only one succeeds.
  const aside = `${path}.${process.pid}.stale`
  try {
    renameSync(path, aside)
  } catch {
    return
  }
  const moved = readLock(aside)
  if (moved?.pid !== owner.pid || moved.startedAt !== owner.startedAt) {
    // Another process took it over in between: its lock goes back.
    renameSync(aside, path)
    throw inUse(display, moved ?? owner)
  }
  unlinkSync(aside)
  log(`${display}: took over the lock of run ${owner.runId} (pid ${owner.pid} is no longer running)`)
}

/** Writes this run's owner into the lock just created; returns its release (once; also on process exit). */
function writeLock(fd: number, path: string, mine: LockOwner): () => void {
  try {
    writeSync(fd, JSON.stringify(mine))
  } finally {
    closeSync(fd)
  }
  let released = false
  const release = (): void => {
    if (released) return
    released = true
    process.off('exit', release)
    const owner = readLock(path)
    if (owner?.pid === mine.pid && owner.startedAt === mine.startedAt && owner.runId === mine.runId) {
      try {
        unlinkSync(path)
      } catch {
        // already gone
      }
    }
  }
  process.on('exit', release)
  return release
}
