import { performance } from 'node:perf_hooks'
import { expect } from 'vitest'

/** One server-sent event: its data, parsed as JSON but for [DONE] (read untyped: tests check it field by field), and when it arrived. */
export type SseEvent = { data: string; json?: any; atMs: number }

/** Reads an SSE body to its end (or until it breaks), with the arrival time of each event. */
export async function readSse(response: Response): Promise<{ events: SseEvent[]; brokenWith?: unknown }> {
  const events: SseEvent[] = []
  const reader = response.body!.getReader()
  const decoder = new TextDecoder()
  let buffered = ''
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      const atMs = performance.now()
      buffered += decoder.decode(value, { stream: true })
      for (let end = buffered.indexOf('\n\n'); end >= 0; end = buffered.indexOf('\n\n')) {
        const block = buffered.slice(0, end)
        buffered = buffered.slice(end + 2)
        expect(block.startsWith('data: ')).toBe(true)
        const data = block.slice('data: '.length)
        events.push({ data, json: data === '[DONE]' ? undefined : JSON.parse(data), atMs })
      }
    }
  } catch (error) {
    return { events, brokenWith: error }
  }
  expect(buffered).toBe('')
  return { events }
}
