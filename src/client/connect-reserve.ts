import type { Socket } from 'node:net'
import type { buildConnector } from 'undici'

/**
 * Spare connections to one origin, opened ahead in the background, so that a request that needs a
 * new connection finds one ready instead of paying TCP (and TLS) set-up inside its send: an open
 * loop's send time is the schedule's, and a connect in it made the first sends on new connections
 * ~8 ms late on a loaded machine (bench/RESULTS.md, trace replay). No request is sent ahead: a spare
 * is only a connected (and, over TLS, handshaken and verified) socket.
 *
 * The sockets come from the pool's own undici connector (buildConnector with the endpoint's TLS
 * options), the one its clients would call themselves, so verification is exactly the same. A
 * spare the server closes (its keep-alive timeout), that errors or that receives bytes before any
 * request is dropped, never handed out. Spares are opened only by `fill` (before an open-loop step)
 * and by `take` finding the reserve empty after it, at most one per request, so a server that
 * closes every idle socket at once cannot make the reserve reconnect in a loop.
 */
export class ConnectReserve {
  private readonly ready: Socket[] = []
  private readonly watchers = new Map<Socket, () => void>()
  private opening = 0
  private enabled = false
  private closed = false
  private readonly target: buildConnector.Options

  constructor(
    origin: string,
    private readonly connector: buildConnector.connector,
  ) {
    const url = new URL(origin)
    // undici's Client strips an IPv6 literal's brackets before connecting (lib/dispatcher/client.js): so does the reserve.
    const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname
    this.target = { host: url.host, hostname, protocol: url.protocol, port: url.port }
  }

  /** Spares connected and ready to hand out now. */
  get spares(): number {
    return this.ready.length
  }

  /**
   * Opens spares until `count` are ready or opening, and keeps one ready from then on (see take).
   * Resolves once those opened now have connected or failed; a failure is not an error here: the
   * request that finds no spare connects itself and reports what goes wrong.
   */
  async fill(count: number): Promise<void> {
    if (this.closed) return
    this.enabled = true
    const missing = Math.max(0, count - this.ready.length - this.opening)
    await Promise.all(Array.from({ length: missing }, () => this.openOne()))
  }

  /**
   * A ready spare, or undefined (none, or the reserve was never filled). When the reserve is left
   * empty, one more is opened in the background so that the next new connection finds it ready.
   */
  take(): Socket | undefined {
    let socket = this.ready.pop()
    while (socket && !isOpen(socket)) {
      this.drop(socket)
      socket = this.ready.pop()
    }
    if (socket) this.unwatch(socket)
    if (this.enabled && !this.closed && this.ready.length === 0 && this.opening === 0) void this.openOne()
    return socket
  }

  /** Closes every spare; nothing is opened after this. */
  close(): void {
    this.closed = true
    for (const socket of this.ready.splice(0)) this.drop(socket)
  }

  private openOne(): Promise<void> {
    this.opening++
    return new Promise<void>((resolve) => {
      this.connector({ ...this.target }, (error, socket) => {
        this.opening--
        if (error === null && socket !== null) this.keep(socket)
        resolve()
      })
    })
  }

  private keep(socket: Socket): void {
    if (this.closed || !isOpen(socket)) {
      socket.on('error', () => undefined).destroy()
      return
    }
    // A spare must stay silent: the server closing it, an error, or bytes before a request all end it.
    // 'readable' (not 'data') leaves the socket paused for undici, which reads it the same way.
    const gone = (): void => {
      const index = this.ready.indexOf(socket)
      if (index !== -1) this.ready.splice(index, 1)
      this.drop(socket)
    }
    const onReadable = (): void => {
      if (socket.read() !== null) gone()
    }
    socket.on('readable', onReadable).on('end', gone).on('error', gone).on('close', gone)
    this.watchers.set(socket, () => {
      socket.off('readable', onReadable).off('end', gone).off('error', gone).off('close', gone)
    })
    this.ready.push(socket)
  }

  private unwatch(socket: Socket): void {
    this.watchers.get(socket)?.()
    this.watchers.delete(socket)
  }

  private drop(socket: Socket): void {
    this.unwatch(socket)
    socket.on('error', () => undefined).destroy()
  }
}

/** Connected both ways and not torn down (a socket whose peer sent FIN reads 'writeOnly'). */
export function isOpen(socket: Socket): boolean {
  return !socket.destroyed && socket.readyState === 'open'
}
