import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http'
import { listenLocally } from './local-server.js'

/**
 * A scripted server for the client's edge cases: each route writes exact bytes, in pieces, with
 * pauses between pieces so that each piece reaches the client in its own network read.
 */
export type Piece = string | Buffer | { pauseMs: number } | { destroy: true }

export interface Script {
  status?: number
  headers?: Record<string, string>
  pieces: Piece[]
}

export interface QuirkServer {
  url: string
  close(): Promise<void>
  requests: Array<{ path: string; headers: IncomingMessage['headers']; body: string }>
}

export async function startQuirkServer(routes: Record<string, Script | ((req: IncomingMessage) => Script)>): Promise<QuirkServer> {
  const requests: QuirkServer['requests'] = []
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = ''
    req.on('data', (d: Buffer) => (body += d.toString()))
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0] ?? '/'
      requests.push({ path, headers: req.headers, body })
      const scenarioName = req.headers['x-quirk'] as string | undefined
      const route = routes[scenarioName ?? path] ?? routes[path]
      if (!route) {
        res.writeHead(404, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ error: { message: `no route ${path}` } }))
        return
      }
      const script = typeof route === 'function' ? route(req) : route
      res.socket?.setNoDelay(true)
      res.writeHead(script.status ?? 200, { 'content-type': 'text/event-stream', ...script.headers })
      void play(res, script.pieces)
    })
  })
  return { ...(await listenLocally(server)), requests }
}

async function play(res: ServerResponse, pieces: Piece[]): Promise<void> {
  for (const piece of pieces) {
    if (res.destroyed) return
    if (typeof piece === 'string' || Buffer.isBuffer(piece)) res.write(piece)
    else if ('pauseMs' in piece) await new Promise((r) => setTimeout(r, piece.pauseMs))
    else {
      res.socket?.destroy()
      return
    }
  }
  res.end()
}

/** SSE text for one chat chunk. */
export function chatChunk(delta: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'quirk', choices: [{ index: 0, delta, finish_reason: null }], ...extra }
}

/** Pieces separated by pauses, so each arrives in its own read. */
export function spaced(pieces: Piece[], pauseMs = 15): Piece[] {
  return pieces.flatMap((piece, i) => (i === 0 ? [piece] : [{ pauseMs }, piece]))
}

export const MODELS_ROUTE: Script = {
  headers: { 'content-type': 'application/json' },
  pieces: [JSON.stringify({ object: 'list', data: [{ id: 'quirk', object: 'model' }] })],
}
