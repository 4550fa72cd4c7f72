/**
 * Just enough DER to read what node:crypto's X509Certificate does not expose: a certificate's
 * signature algorithm and its extensions by OID (AMD's VCEK carries its TCB and chip ID there).
 */

interface Tlv {
  tag: number
  /** Offset of the first content byte. */
  start: number
  /** Offset just past the content. */
  end: number
}

function readTlv(der: Buffer, offset: number, limit = der.length): Tlv {
  if (offset + 2 > limit) throw new Error('truncated DER')
  const tag = der[offset] as number
  let length = der[offset + 1] as number
  let start = offset + 2
  if (length & 0x80) {
    const bytes = length & 0x7f
    if (bytes === 0 || bytes > 4 || start + bytes > limit) throw new Error('unsupported DER length')
    length = 0
    for (let i = 0; i < bytes; i += 1) length = length * 256 + (der[start + i] as number)
    start += bytes
  }
  const end = start + length
  if (end > limit) throw new Error('truncated DER')
  return { tag, start, end }
}

function children(der: Buffer, parent: Tlv): Tlv[] {
  const items: Tlv[] = []
  for (let offset = parent.start; offset < parent.end; ) {
    const item = readTlv(der, offset, parent.end)
    items.push(item)
    offset = item.end
  }
  return items
}

/** Dotted form of a DER OBJECT IDENTIFIER's content bytes. */
function oidToString(bytes: Buffer): string {
  const first = bytes[0] ?? 0
  const parts = [Math.min(2, Math.floor(first / 40)), first - Math.min(2, Math.floor(first / 40)) * 40]
  let value = 0
  for (let i = 1; i < bytes.length; i += 1) {
    const byte = bytes[i] as number
    value = value * 128 + (byte & 0x7f)
    if (!(byte & 0x80)) {
      parts.push(value)
      value = 0
    }
  }
  return parts.join('.')
}

const SEQUENCE = 0x30
const OID = 0x06
const OCTET_STRING = 0x04
const BOOLEAN = 0x01
const EXTENSIONS_TAG = 0xa3

export interface CertificateDetails {
  /** The outer signatureAlgorithm OID (e.g. 1.2.840.113549.1.1.10 for RSASSA-PSS). */
  signatureAlgorithm: string
  /** The OIDs found inside the signature algorithm's parameters (PSS: the hash and MGF1 hash). */
  signatureParameterOids: string[]
  /** Each extension's extnValue content (the bytes inside the OCTET STRING), by dotted OID. */
  extensions: Map<string, Buffer>
}

function oidsInside(der: Buffer, node: Tlv, found: string[]): void {
  if (node.tag === OID) {
    found.push(oidToString(der.subarray(node.start, node.end)))
    return
  }
  // Constructed (SEQUENCE, SET, context-specific [n] constructed): walk inside.
  if (node.tag & 0x20) for (const child of children(der, node)) oidsInside(der, child, found)
}

/** Reads a DER certificate's signature algorithm and extensions; throws on malformed input. */
export function readCertificateDetails(der: Buffer): CertificateDetails {
  const certificate = readTlv(der, 0)
  if (certificate.tag !== SEQUENCE) throw new Error('not a DER certificate')
  const [tbs, signatureAlgorithm] = children(der, certificate)
  if (!tbs || !signatureAlgorithm || tbs.tag !== SEQUENCE || signatureAlgorithm.tag !== SEQUENCE) throw new Error('not a DER certificate')
  const [algorithmOid, ...parameters] = children(der, signatureAlgorithm)
  if (!algorithmOid || algorithmOid.tag !== OID) throw new Error('no signature algorithm')
  const signatureParameterOids: string[] = []
  for (const parameter of parameters) oidsInside(der, parameter, signatureParameterOids)

  const extensions = new Map<string, Buffer>()
  const wrapper = children(der, tbs).find((item) => item.tag === EXTENSIONS_TAG)
  const list = wrapper ? children(der, wrapper)[0] : undefined
  if (list && list.tag === SEQUENCE) {
    for (const extension of children(der, list)) {
      const parts = children(der, extension)
      const oid = parts[0]
      const value = parts.find((part, index) => index > 0 && part.tag === OCTET_STRING)
      if (!oid || oid.tag !== OID || !value) continue
      if (parts[1] && parts[1].tag !== BOOLEAN && parts[1] !== value) continue
      extensions.set(oidToString(der.subarray(oid.start, oid.end)), der.subarray(value.start, value.end))
    }
  }
  return { signatureAlgorithm: oidToString(der.subarray(algorithmOid.start, algorithmOid.end)), signatureParameterOids, extensions }
}

/**
 * The value of a small DER INTEGER (AMD's SPL extensions: `02 01 xx`, or `02 02 00 xx` when the
 * high bit is set); null when the bytes are not one.
 */
export function readSmallInteger(value: Buffer): number | null {
  if (value.length < 3 || value[0] !== 0x02) return null
  const length = value[1] as number
  if (length < 1 || length > 4 || value.length !== 2 + length) return null
  let result = 0
  for (let i = 0; i < length; i += 1) result = result * 256 + (value[2 + i] as number)
  return result
}
