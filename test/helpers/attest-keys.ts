import { type KeyObject, X509Certificate, createHash, createPrivateKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execa } from 'execa'
import type { JSONWebKeySet, JWK } from 'jose'

/**
 * Throw-away attestation trust material, generated with the openssl CLI (as AMD's is shaped):
 * an ARK (self-signed RSA, RSA-PSS SHA-384), an ASK signed by it, a VCEK (EC P-384) signed by the
 * ASK carrying AMD's TCB and hwID extensions; plus an EC P-384 JWK pair and JWKS for NVIDIA tokens.
 * Variants: an ASK with the same key certified by another ARK (a broken chain), and a VCEK with the
 * same key valid for one day only (expired when checked two days on).
 */
export interface AttestKeys {
  dir: string
  arkPem: string
  arkFile: string
  askPem: string
  askFile: string
  /** AMD's cert_chain layout: the ASK then the ARK, in one file. */
  certChainFile: string
  vcekPem: string
  vcekFile: string
  vcekPrivateKey: KeyObject
  /** The CHIP_ID the VCEK was issued for (hwID extension). */
  chipId: Buffer
  /** The REPORTED_TCB the VCEK was issued for (boot loader 3, TEE 0, SNP 8, microcode 115; Milan/Genoa layout). */
  reportedTcb: bigint
  /** Another self-signed ARK, not the trusted one. */
  otherArkPem: string
  /** The ASK's key and name certified by the other ARK: VCEK → this ASK → trusted ARK fails. */
  brokenAskPem: string
  /** The VCEK's key and name, valid from now for one day (the regular VCEK: `vcekDays`). */
  shortLivedVcekPem: string
  nvidia: {
    kid: string
    privateJwk: JWK
    publicJwk: JWK
    jwks: JSONWebKeySet
    jwksFile: string
    /** A key pair that is not in the JWKS. */
    untrustedPrivateJwk: JWK
  }
}

export interface AttestKeyOptions {
  /** RSA size for the ARK and ASK: AMD uses 4096; tests use less to save time. Default 2048. */
  rsaBits?: number
  /** Days the regular VCEK is valid (default 30); the ARK and ASK are valid ten years. */
  vcekDays?: number
}

export const TEST_REPORTED_TCB = 3n | (0n << 8n) | (8n << 48n) | (115n << 56n)

const PSS_SHA384 = ['-sha384', '-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:48', '-sigopt', 'rsa_mgf1_md:sha384']

/** DER bytes as openssl's `DER:` extension syntax wants them (hex pairs with colons). */
const derHex = (bytes: Buffer): string => [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join(':')

/**
 * `openssl x509 -req` arguments that sign the request `csr` with the CA at `ca` (its .pem and .key)
 * into `out` for `days`, with a random serial and the extensions in `ext`; the caller adds the digest.
 */
function signRequestArgs(files: { csr: string; ca: string; out: string; days: number; ext: string }): string[] {
  return [
    'x509',
    '-req',
    '-in',
    files.csr,
    '-CA',
    `${files.ca}.pem`,
    '-CAkey',
    `${files.ca}.key`,
    '-set_serial',
    `0x${randomBytes(8).toString('hex')}`,
    '-out',
    files.out,
    '-days',
    String(files.days),
    '-extfile',
    files.ext,
  ]
}

export async function makeAttestKeys(options: AttestKeyOptions = {}): Promise<AttestKeys> {
  const dir = mkdtempSync(join(tmpdir(), 'geopat-attest-'))
  const p = (name: string) => join(dir, name)
  const openssl = (args: string[]) => execa('openssl', args, { cwd: dir })
  const rsa = `rsa:${options.rsaBits ?? 2048}`
  const chipId = randomBytes(64)

  writeFileSync(
    p('ca.ext'),
    'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n',
  )
  writeFileSync(
    p('vcek.ext'),
    [
      'keyUsage=critical,digitalSignature',
      '1.3.6.1.4.1.3704.1.3.1=DER:02:01:03',
      '1.3.6.1.4.1.3704.1.3.2=DER:02:01:00',
      '1.3.6.1.4.1.3704.1.3.3=DER:02:01:08',
      '1.3.6.1.4.1.3704.1.3.8=DER:02:01:73',
      `1.3.6.1.4.1.3704.1.4=DER:${derHex(chipId)}`,
      '',
    ].join('\n'),
  )
  const selfSigned = (name: string, cn: string) =>
    openssl([
      'req',
      '-x509',
      '-newkey',
      rsa,
      '-nodes',
      '-keyout',
      p(`${name}.key`),
      '-out',
      p(`${name}.pem`),
      '-days',
      '3650',
      '-subj',
      `/CN=${cn}/O=geopat test`,
      ...PSS_SHA384,
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ])
  const certify = (csr: string, ca: string, out: string, days: number, ext: string) =>
    openssl([...signRequestArgs({ csr: p(csr), ca: p(ca), out: p(out), days, ext: p(ext) }), ...PSS_SHA384])

  // The trusted ARK and the other one are independent: make them side by side.
  await Promise.all([selfSigned('ark', 'ARK-Test'), selfSigned('other-ark', 'ARK-Test')])
  await openssl(['req', '-new', '-newkey', rsa, '-nodes', '-keyout', p('ask.key'), '-out', p('ask.csr'), '-subj', '/CN=SEV-Test/O=geopat test'])
  await Promise.all([certify('ask.csr', 'ark', 'ask.pem', 3650, 'ca.ext'), certify('ask.csr', 'other-ark', 'broken-ask.pem', 3650, 'ca.ext')])
  await openssl([
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:secp384r1',
    '-nodes',
    '-keyout',
    p('vcek.key'),
    '-out',
    p('vcek.csr'),
    '-subj',
    '/CN=SEV-VCEK/O=geopat test',
  ])
  await Promise.all([certify('vcek.csr', 'ask', 'vcek.pem', options.vcekDays ?? 30, 'vcek.ext'), certify('vcek.csr', 'ask', 'short-vcek.pem', 1, 'vcek.ext')])

  const read = (name: string) => readFileSync(p(name), 'utf8')
  writeFileSync(p('cert_chain.pem'), read('ask.pem') + read('ark.pem'))

  const jwkPair = () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' })
    return { privateJwk: privateKey.export({ format: 'jwk' }) as JWK, publicJwk: publicKey.export({ format: 'jwk' }) as JWK }
  }
  const kid = 'geopat-test-nras-1'
  const trusted = jwkPair()
  const publicJwk: JWK = { ...trusted.publicJwk, kid, alg: 'ES384', use: 'sig' }
  const jwks: JSONWebKeySet = { keys: [publicJwk] }
  writeFileSync(p('nvidia-jwks.json'), JSON.stringify(jwks))

  return {
    dir,
    arkPem: read('ark.pem'),
    arkFile: p('ark.pem'),
    askPem: read('ask.pem'),
    askFile: p('ask.pem'),
    certChainFile: p('cert_chain.pem'),
    vcekPem: read('vcek.pem'),
    vcekFile: p('vcek.pem'),
    vcekPrivateKey: createPrivateKey(read('vcek.key')),
    chipId,
    reportedTcb: TEST_REPORTED_TCB,
    otherArkPem: read('other-ark.pem'),
    brokenAskPem: read('broken-ask.pem'),
    shortLivedVcekPem: read('short-vcek.pem'),
    nvidia: { kid, privateJwk: { ...trusted.privateJwk, kid }, publicJwk, jwks, jwksFile: p('nvidia-jwks.json'), untrustedPrivateJwk: jwkPair().privateJwk },
  }
}

// ---------------------------------------------------------------------------------------------
// Intel TDX: an Intel-shaped PKI made here (root CA, PCK CA, a PCK certificate with Intel's SGX
// extension, a TCB-signing certificate), signed TCB info and QE identity, and TD quotes (v4)
// signed like a quoting enclave signs them. @phala/dcap-qvl verifies them with this root CA in
// place of Intel's: the whole DCAP path runs offline with no Intel material.
// ---------------------------------------------------------------------------------------------

const derTlv = (tag: number, content: Buffer): Buffer => {
  const length = content.length
  const header =
    length < 0x80 ? Buffer.from([tag, length]) : length < 0x100 ? Buffer.from([tag, 0x81, length]) : Buffer.from([tag, 0x82, length >> 8, length & 0xff])
  return Buffer.concat([header, content])
}
const derOid = (dotted: string): Buffer => {
  const [first = 0, second = 0, ...rest] = dotted.split('.').map(Number)
  const bytes = [first * 40 + second]
  for (const arc of rest) {
    const chunk = [arc & 0x7f]
    for (let value = arc >> 7; value > 0; value >>= 7) chunk.unshift((value & 0x7f) | 0x80)
    bytes.push(...chunk)
  }
  return derTlv(0x06, Buffer.from(bytes))
}
const derSeq = (...items: Buffer[]): Buffer => derTlv(0x30, Buffer.concat(items))
const derInt = (value: number): Buffer => derTlv(0x02, Buffer.from(value < 0x80 ? [value] : [0, value]))
const derOctets = (bytes: Buffer): Buffer => derTlv(0x04, bytes)

const SGX = '1.2.840.113741.1.13.1'

/** Intel's SGX PCK extension: PPID, TCB (16 component SVNs, PCESVN, CPUSVN), PCE-ID, FMSPC, SGX type. */
function sgxExtension(cpuSvn: Buffer, pceSvn: number, fmspc: Buffer): Buffer {
  const components = [...cpuSvn].map((svn, index) => derSeq(derOid(`${SGX}.2.${index + 1}`), derInt(svn)))
  return derSeq(
    derSeq(derOid(`${SGX}.1`), derOctets(randomBytes(16))),
    derSeq(derOid(`${SGX}.2`), derSeq(...components, derSeq(derOid(`${SGX}.2.17`), derInt(pceSvn)), derSeq(derOid(`${SGX}.2.18`), derOctets(cpuSvn)))),
    derSeq(derOid(`${SGX}.3`), derOctets(Buffer.from([0, 0]))),
    derSeq(derOid(`${SGX}.4`), derOctets(fmspc)),
    derSeq(derOid(`${SGX}.5`), derTlv(0x0a, Buffer.from([0]))),
  )
}

export interface TdQuoteFields {
  reportData: Buffer
  mrTd?: Buffer
  rtmrs?: [Buffer, Buffer, Buffer, Buffer]
  /** 8 bytes; default: not debuggable, SEPT_VE_DISABLE set (what dcap-qvl requires). */
  tdAttributes?: Buffer
  /** 16 bytes; default all 5 (the UpToDate level of the TCB info made here). */
  teeTcbSvn?: Buffer
}

export interface TdxTestMaterial {
  dir: string
  rootCaDer: Buffer
  /** Collateral as @phala/dcap-qvl's getCollateral returns it, valid from a day ago for 30 days. */
  collateral: {
    pck_crl_issuer_chain: string
    root_ca_crl: string
    pck_crl: string
    tcb_info_issuer_chain: string
    tcb_info: string
    tcb_info_signature: string
    qe_identity_issuer_chain: string
    qe_identity: string
    qe_identity_signature: string
  }
  collateralFile: string
  /** The same collateral with a PCK CRL that revokes the PCK certificate. */
  revokedCollateral: TdxTestMaterial['collateral']
  nextUpdate: Date
  /** A TD quote (v4, TD 1.0 report) over these fields, signed by the attestation key. */
  quote(fields: TdQuoteFields): Buffer
}

const QE_MRSIGNER = 'dc9e2a7c6f948f17474e34a7fc43ed030f7c1563f1babddf6340c82e0e54a8c5'

export async function makeTdxTestMaterial(): Promise<TdxTestMaterial> {
  const dir = mkdtempSync(join(tmpdir(), 'geopat-tdx-'))
  const p = (name: string) => join(dir, name)
  const openssl = (args: string[]) => execa('openssl', args, { cwd: dir })
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  const cpuSvn = Buffer.alloc(16, 2)
  const pceSvn = 11
  const fmspc = Buffer.from('b0c06f000000', 'hex')

  writeFileSync(
    p('ca.ext'),
    'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n',
  )
  writeFileSync(p('leaf.ext'), 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n')
  writeFileSync(
    p('pck.ext'),
    `basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n${SGX}=DER:${derHex(sgxExtension(cpuSvn, pceSvn, fmspc))}\n`,
  )
  const certify = (name: string, ca: string, ext: string) =>
    openssl([...signRequestArgs({ csr: p(`${name}.csr`), ca: p(ca), out: p(`${name}.pem`), days: 3650, ext: p(ext) }), '-sha256'])
  const request = (name: string, cn: string) =>
    openssl(['req', '-new', ...ec, '-keyout', p(`${name}.key`), '-out', p(`${name}.csr`), '-subj', `/CN=${cn}/O=geopat test`])

  await openssl([
    'req',
    '-x509',
    ...ec,
    '-keyout',
    p('root.key'),
    '-out',
    p('root.pem'),
    '-days',
    '3650',
    '-sha256',
    '-subj',
    '/CN=Test SGX Root CA/O=geopat test',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ])
  await Promise.all([request('pck-ca', 'Test SGX PCK Platform CA'), request('pck', 'Test SGX PCK Certificate'), request('tcb-signing', 'Test SGX TCB Signing')])
  await Promise.all([certify('pck-ca', 'root', 'ca.ext'), certify('tcb-signing', 'root', 'leaf.ext')])
  await certify('pck', 'pck-ca', 'pck.ext')

  // CRLs (openssl ca keeps a database per CA): the root's (empty), the PCK CA's (empty) and one revoking the PCK.
  const crl = async (ca: string, out: string, revoke?: string) => {
    writeFileSync(p(`${ca}.index`), '')
    writeFileSync(p(`${ca}.crlnumber`), '01\n')
    writeFileSync(
      p(`${ca}.cnf`),
      `[ca]\ndefault_ca=d\n[d]\ndatabase=${p(`${ca}.index`)}\ncrlnumber=${p(`${ca}.crlnumber`)}\ndefault_md=sha256\ndefault_crl_days=30\n`,
    )
    const base = ['-config', p(`${ca}.cnf`), '-keyfile', p(`${ca}.key`), '-cert', p(`${ca}.pem`)]
    if (revoke) await openssl(['ca', ...base, '-revoke', p(revoke)])
    await openssl(['ca', ...base, '-gencrl', '-out', p(`${out}.crl.pem`)])
    await openssl(['crl', '-in', p(`${out}.crl.pem`), '-outform', 'DER', '-out', p(`${out}.crl`)])
    return readFileSync(p(`${out}.crl`)).toString('hex')
  }
  const rootCrl = await crl('root', 'root')
  const pckCrl = await crl('pck-ca', 'pck')
  const revokedPckCrl = await crl('pck-ca', 'pck-revoked', 'pck.pem')

  const read = (name: string) => readFileSync(p(name), 'utf8')
  const tcbSigningKey = createPrivateKey(read('tcb-signing.key'))
  const pckKey = createPrivateKey(read('pck.key'))
  const signRaw = (data: Buffer | string, key: KeyObject): Buffer => sign('sha256', Buffer.from(data), { key, dsaEncoding: 'ieee-p1363' })

  const now = Date.now()
  const issueDate = new Date(now - 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z')
  const nextUpdate = new Date(now + 30 * 86_400_000)
  const svns = (value: number) => Array.from({ length: 16 }, () => ({ svn: value }))
  const tcbInfo = JSON.stringify({
    id: 'TDX',
    version: 3,
    issueDate,
    nextUpdate: nextUpdate.toISOString().replace(/\.\d+Z$/, 'Z'),
    fmspc: fmspc.toString('hex'),
    pceId: '0000',
    tcbType: 0,
    tcbEvaluationDataNumber: 17,
    tcbLevels: [
      { tcb: { sgxtcbcomponents: svns(2), pcesvn: pceSvn, tdxtcbcomponents: svns(5) }, tcbDate: '2024-03-13T00:00:00Z', tcbStatus: 'UpToDate' },
      {
        tcb: { sgxtcbcomponents: svns(2), pcesvn: pceSvn, tdxtcbcomponents: svns(0) },
        tcbDate: '2018-01-04T00:00:00Z',
        tcbStatus: 'OutOfDate',
        advisoryIDs: ['INTEL-SA-00000'],
      },
    ],
  })
  const qeIdentity = JSON.stringify({
    id: 'TD_QE',
    version: 2,
    issueDate,
    nextUpdate: nextUpdate.toISOString().replace(/\.\d+Z$/, 'Z'),
    tcbEvaluationDataNumber: 17,
    miscselect: '00000000',
    miscselectMask: 'FFFFFFFF',
    attributes: '11000000000000000000000000000000',
    attributesMask: 'FBFFFFFFFFFFFFFF0000000000000000',
    mrsigner: QE_MRSIGNER.toUpperCase(),
    isvprodid: 2,
    tcbLevels: [{ tcb: { isvsvn: 4 }, tcbDate: '2024-03-13T00:00:00Z', tcbStatus: 'UpToDate' }],
  })
  const issuerChain = read('tcb-signing.pem') + read('root.pem')
  const collateral = {
    pck_crl_issuer_chain: read('pck-ca.pem') + read('root.pem'),
    root_ca_crl: rootCrl,
    pck_crl: pckCrl,
    tcb_info_issuer_chain: issuerChain,
    tcb_info: tcbInfo,
    tcb_info_signature: signRaw(tcbInfo, tcbSigningKey).toString('hex'),
    qe_identity_issuer_chain: issuerChain,
    qe_identity: qeIdentity,
    qe_identity_signature: signRaw(qeIdentity, tcbSigningKey).toString('hex'),
  }
  writeFileSync(p('collateral.json'), JSON.stringify(collateral))

  // The quoting enclave's attestation key, and its report signed by the PCK key.
  const attestation = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const attestationJwk = attestation.publicKey.export({ format: 'jwk' })
  const attestationKey = Buffer.concat([Buffer.from(attestationJwk.x ?? '', 'base64url'), Buffer.from(attestationJwk.y ?? '', 'base64url')])
  const qeAuthData = randomBytes(32)
  const qeReport = Buffer.alloc(384)
  cpuSvn.copy(qeReport, 0)
  qeReport[48] = 0x11 // attributes: INIT | MODE64BIT, not DEBUG
  Buffer.from(QE_MRSIGNER, 'hex').copy(qeReport, 128)
  qeReport.writeUInt16LE(2, 256) // ISVPRODID
  qeReport.writeUInt16LE(4, 258) // ISVSVN
  createHash('sha256')
    .update(Buffer.concat([attestationKey, qeAuthData]))
    .digest()
    .copy(qeReport, 320)
  const qeReportSignature = signRaw(qeReport, pckKey)
  const pemChain = Buffer.from(read('pck.pem') + read('pck-ca.pem') + read('root.pem'))

  const u16 = (value: number) => {
    const bytes = Buffer.alloc(2)
    bytes.writeUInt16LE(value)
    return bytes
  }
  const u32 = (value: number) => {
    const bytes = Buffer.alloc(4)
    bytes.writeUInt32LE(value)
    return bytes
  }
  const certificationData = (type: number, body: Buffer) => Buffer.concat([u16(type), u32(body.length), body])

  const quote = (fields: TdQuoteFields): Buffer => {
    const header = Buffer.concat([u16(4), u16(2), u32(0x81), u16(0), u16(pceSvn), Buffer.from('939a7233f79c4ca9940a0db3957f0607', 'hex'), Buffer.alloc(20)])
    const tdAttributes = fields.tdAttributes ?? Buffer.from('0000001000000000', 'hex')
    const [rtmr0, rtmr1, rtmr2, rtmr3] = fields.rtmrs ?? [Buffer.alloc(48, 1), Buffer.alloc(48, 2), Buffer.alloc(48, 3), Buffer.alloc(48, 4)]
    const report = Buffer.concat([
      fields.teeTcbSvn ?? Buffer.alloc(16, 5),
      Buffer.alloc(48, 0xaa), // MRSEAM
      Buffer.alloc(48), // MRSIGNERSEAM
      Buffer.alloc(8), // SEAMATTRIBUTES
      tdAttributes,
      Buffer.from('e702060000000000', 'hex'), // XFAM
      fields.mrTd ?? Buffer.alloc(48, 0x11),
      Buffer.alloc(48), // MRCONFIGID
      Buffer.alloc(48), // MROWNER
      Buffer.alloc(48), // MROWNERCONFIG
      rtmr0,
      rtmr1,
      rtmr2,
      rtmr3,
      fields.reportData,
    ])
    const signed = Buffer.concat([header, report])
    const qeCertificationData = Buffer.concat([qeReport, qeReportSignature, u16(qeAuthData.length), qeAuthData, certificationData(5, pemChain)])
    const authData = Buffer.concat([signRaw(signed, attestation.privateKey), attestationKey, certificationData(6, qeCertificationData)])
    return Buffer.concat([signed, u32(authData.length), authData])
  }

  return {
    dir,
    rootCaDer: new X509Certificate(read('root.pem')).raw,
    collateral,
    collateralFile: p('collateral.json'),
    revokedCollateral: { ...collateral, pck_crl: revokedPckCrl },
    nextUpdate,
    quote,
  }
}
