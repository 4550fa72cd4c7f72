import type { Socket } from 'node:net'
import { Client, Dispatcher, buildConnector } from 'undici'
import { ConnectReserve, isOpen } from './connect-reserve.js'

/** What the pool tells a request's handler: it opens a new connection, `fromReserve` when a spare opened ahead (no set-up in its send). */
export type NewConnectionListener = (fromReserve: boolean) => void

/**
 * Keep-alive connections for streamed requests, one request per connection at a time.
 *
 * undici's Pool waits a full event-loop turn before it reuses a connection that just finished a
 * request (pipelining 1), and under load a turn lasts milliseconds: measured here, requests waited
 * 1.4 ms on average at 64 streams and 3.4 ms at 300 before they were written. This pool hands a
 * connection back the moment its response ends and gives each request an idle connection (or a new
 * one), so a request is written in the same turn it is sent. Its clients allow pipelining only so
 * that undici resumes them at once; the pool never puts two requests on one connection.
 *
 * A new connection is taken from the reserve of spares opened ahead (ConnectReserve: `preconnect`
 * before an open-loop step) when one is ready, else connected by the client as before. All
 * connections, spares included, come from one undici connector built from the `connect` options.
 */
export class StreamPool extends Dispatcher {
  private readonly idle: Client[] = []
  private readonly clients = new Set<Client>()
  private closed = false
  private readonly connector: buildConnector.connector
  private readonly reserve: ConnectReserve

  /** `connect`: the TLS and socket options of undici's standard connector (buildConnector), as a Client takes them. */
  constructor(
    private readonly origin: string,
    private readonly clientOptions: Omit<Client.Options, 'connect'> & { connect?: buildConnector.BuildOptions },
  ) {
    super()
    this.connector = buildConnector({ ...clientOptions.connect })
    this.reserve = new ConnectReserve(origin, this.connector)
  }

  /** Spare connections ready in the reserve. */
  get spares(): number {
    return this.reserve.spares
  }

  /**
   * Opens spare connections in the background until `count` are ready (see ConnectReserve), and
   * keeps one ready from then on; resolves once they have connected or failed.
   */
  preconnect(count: number): Promise<void> {
    return this.closed ? Promise.resolve() : this.reserve.fill(count)
  }

  /** Connections open now (busy or idle). */
  get size(): number {
    return this.clients.size
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler & { onNewConnection?: NewConnectionListener }): boolean {
    if (this.closed) throw new Error('StreamPool is closed')
    let client = this.idle.pop()
    while (client && (client.destroyed || client.closed)) {
      this.clients.delete(client)
      client = this.idle.pop()
    }
    if (!client) {
      const connect = this.firstConnect(this.reserve.take(), (fromReserve) => handler.onNewConnection?.(fromReserve))
      client = new Client(this.origin, { ...this.clientOptions, pipelining: 2, connect })
      this.clients.add(client)
    }
    const owner = client
    const release = (reusable: boolean): void => {
      if (!this.closed && reusable && !owner.destroyed && !owner.closed) this.idle.push(owner)
      else if (!reusable) {
        this.clients.delete(owner)
        void owner.destroy().catch(() => undefined)
      }
    }
    return owner.dispatch(options, {
      onRequestStart: (controller, context) => handler.onRequestStart?.(controller, context),
      onResponseStart: (controller, statusCode, headers, statusMessage) => handler.onResponseStart?.(controller, statusCode, headers, statusMessage),
      onResponseData: (controller, chunk) => handler.onResponseData?.(controller, chunk),
      onResponseEnd: (controller, trailers) => {
        release(true)
        handler.onResponseEnd?.(controller, trailers)
      },
      onResponseError: (controller, error) => {
        // An aborted or broken exchange leaves the connection in an unknown state: drop it.
        release(false)
        handler.onResponseError?.(controller, error)
      },
    })
  }

  /**
   * A new client's connector: its first connection is the spare when one was taken (undici calls
   * it within dispatch), else the pool's connector; a later reconnect is always the connector's.
   * Tells the request which it was.
   */
  private firstConnect(spare: Socket | undefined, onNewConnection: NewConnectionListener | undefined): buildConnector.connector {
    let first = true
    return (target, callback) => {
      if (first) {
        first = false
        const ready = spare !== undefined && isOpen(spare)
        onNewConnection?.(ready)
        if (ready) {
          // Never synchronously: undici calls the connector from inside its resume loop, which ignores the nested resume
          // a synchronous callback makes, and the request would wait for the next event on the client. A microtask runs
          // before any I/O, so the spare cannot be closed in between.
          queueMicrotask(() => callback(null, spare))
          return
        }
        spare?.on('error', () => undefined).destroy()
      }
      this.connector(target, callback)
    }
  }

  override async close(): Promise<void> {
    this.closed = true
    this.reserve.close()
    await Promise.all([...this.clients].map((c) => c.close().catch(() => undefined)))
    this.clients.clear()
    this.idle.length = 0
  }

  override async destroy(): Promise<void> {
    this.closed = true
    this.reserve.close()
    await Promise.all([...this.clients].map((c) => c.destroy().catch(() => undefined)))
    this.clients.clear()
    this.idle.length = 0
  }
}
