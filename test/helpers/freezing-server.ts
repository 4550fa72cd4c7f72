import { type Server, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { MODELS_ROUTE, chatChunk } from './quirk-server.js'

interface FreezingServerOptions {
  answered: number
  midStream?: number
  closeAfter?: number
}

const sse = (value: unknown): string => `data: ${JSON.stringify(value)}\n\n`
const FINISH = chatChunk({}, { choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })
const ANSWER = `${sse(chatChunk({ content: 'a' }))}${sse(chatChunk({ content: 'b' }))}${sse(FINISH)}data: [DONE]\n\n`

/**
 * A chat server on 127.0.0.1 that answers its first `answered` chat requests, then freezes: the
 * next `midStream` get their headers and one token and nothing more, the rest are accepted and
 * never answered. `closeAfter`: the server closes (every later connection is refused) once it has
 * answered that many. Its close goes into `cleanups`, for the test file's afterEach to call.
 */
export async function startFreezingServer(
  cleanups: Array<() => Promise<void> | void>,
  options: FreezingServerOptions,
): Promise<{ url: string; close: () => Promise<void> }> {
  let chats = 0
  const server: Server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      if (req.url?.startsWith('/v1/models')) {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(MODELS_ROUTE.pieces[0])
        return
      }
      const n = chats++
      if (n < options.answered) {
        res.writeHead(200, { 'content-type': 'text/event-stream' })
        res.end(ANSWER)
        if (options.closeAfter !== undefined && n + 1 === options.closeAfter) {
          server.close()
          server.closeAllConnections()
        }
      } else if (n < options.answered + (options.midStream ?? 0)) {
        res.writeHead(200, { 'content-type': 'text/event-stream' })
        res.write(sse(chatChunk({ content: 'a' })))
      }
      // else: accepted, never answered.
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const close = (): Promise<void> =>
    new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
      if (!server.listening) resolve()
    })
  cleanups.push(close)
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close }
}
