import { execa } from 'execa'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface TestPki {
  dir: string
  caFile: string
  serverCert: Buffer
  serverKey: Buffer
  clientCertFile: string
  clientKeyFile: string
  ca: Buffer
}

/** A throw-away CA with a server certificate for 127.0.0.1 and a client certificate (openssl CLI). */
export async function makeTestPki(): Promise<TestPki> {
  const dir = mkdtempSync(join(tmpdir(), 'geopat-pki-'))
  const p = (name: string) => join(dir, name)
  const openssl = (args: string[]) => execa('openssl', args, { cwd: dir })
  await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', p('ca.key'), '-out', p('ca.pem'), '-days', '2', '-subj', '/CN=geopat test CA'])
  writeFileSync(p('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n')
  await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', p('server.key'), '-out', p('server.csr'), '-subj', '/CN=127.0.0.1'])
  await openssl([
    'x509',
    '-req',
    '-in',
    p('server.csr'),
    '-CA',
    p('ca.pem'),
    '-CAkey',
    p('ca.key'),
    '-CAcreateserial',
    '-out',
    p('server.pem'),
    '-days',
    '2',
    '-extfile',
    p('server.ext'),
  ])
  await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', p('client.key'), '-out', p('client.csr'), '-subj', '/CN=geopat client'])
  await openssl(['x509', '-req', '-in', p('client.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-CAcreateserial', '-out', p('client.pem'), '-days', '2'])
  return {
    dir,
    caFile: p('ca.pem'),
    ca: readFileSync(p('ca.pem')),
    serverCert: readFileSync(p('server.pem')),
    serverKey: readFileSync(p('server.key')),
    clientCertFile: p('client.pem'),
    clientKeyFile: p('client.key'),
  }
}
