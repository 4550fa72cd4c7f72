import { existsSync, readFileSync } from 'node:fs'

/**
 * Resolves once `condition` holds, polling: a test that signals a child process waits for what the
 * child has done, never for a fixed time (a loaded machine starts it late).
 */
export async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** Complete lines of `path` (0 while it does not exist). */
export function linesIn(path: string): number {
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').length - 1 : 0
}

/** Resolves once `path` holds at least `lines` complete lines. */
export function waitForLines(path: string, lines: number, timeoutMs = 30_000): Promise<void> {
  return waitUntil(() => linesIn(path) >= lines, timeoutMs, `${lines} lines in ${path}`)
}
