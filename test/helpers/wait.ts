import { existsSync, readFileSync } from 'node:fs'

/**
 * Resolves once `path` holds at least `lines` complete lines: a test that signals a child process
 * waits for what the child has done, never for a fixed time (a loaded machine starts it late).
 */
export async function waitForLines(path: string, lines: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (existsSync(path) && readFileSync(path, 'utf8').split('\n').length - 1 >= lines) return
    if (Date.now() > deadline) throw new Error(`${path}: fewer than ${lines} lines after ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
