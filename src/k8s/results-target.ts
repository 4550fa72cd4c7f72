import { OptionMessageError } from '../util/option-error.js'

/**
 * Where the shards of a Kubernetes run put their results (`geopat k8s render --results`):
 * - `pvc:NAME`: a PersistentVolumeClaim mounted at /results in every shard's pod and in the merge
 *   Job's; it must be ReadWriteMany (or ReadWriteOncePod/ReadWriteOnce only when every pod lands on
 *   one node, which the shards' anti-affinity avoids).
 * - `s3://bucket/prefix`: each shard uploads its folder to `prefix/shard-I` (`geopat bench --upload`)
 *   and `geopat merge --from s3://bucket/prefix` merges them wherever it runs.
 */
export type ResultsTarget = { kind: 'pvc'; claimName: string } | { kind: 's3'; url: string }

/** A Kubernetes object name (RFC 1123 label): lowercase letters, digits and '-', at most 63, starting and ending alphanumeric. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
/** A PersistentVolumeClaim name (RFC 1123 subdomain). */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
/** S3's bucket rules (3–63 of a-z, 0-9, '.', '-'); the prefix: no empty, '.' or '..' segment, no query. */
const S3_URL = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(\/[^?#\\@]*)?$/

/**
 * `pvc:NAME` or `s3://bucket/prefix` → the target; anything else fails naming `{results}`.
 * (The s3 helper's parser, src/io/s3/url.ts, is the full one; this check keeps a bad URL from
 * reaching a manifest, where it would fail only in the pods.)
 */
export function parseResultsTarget(text: string): ResultsTarget {
  if (text.startsWith('pvc:')) {
    const claimName = text.slice('pvc:'.length)
    if (claimName.length === 0 || claimName.length > 253 || !DNS_SUBDOMAIN.test(claimName))
      throw new OptionMessageError(`{results} "${text}": the claim name must be a Kubernetes name (lowercase letters, digits, '-' and '.', at most 253)`)
    return { kind: 'pvc', claimName }
  }
  if (text.startsWith('s3://')) {
    const match = S3_URL.exec(text)
    const segments = (match?.[2] ?? '').split('/').slice(1)
    if (segments.at(-1) === '') segments.pop()
    if (!match || segments.some((segment) => segment === '' || segment === '.' || segment === '..'))
      throw new OptionMessageError(
        `{results} "${text.includes('@') ? 's3://…' : text}": not an s3://bucket/prefix URL (bucket: 3-63 of a-z, 0-9, '.' and '-'; ` +
          'no credentials, query or empty segment in it)',
      )
    return { kind: 's3', url: `s3://${match[1]}${segments.length > 0 ? `/${segments.join('/')}` : ''}` }
  }
  throw new OptionMessageError(`{results} "${text}": give pvc:CLAIM (a ReadWriteMany PersistentVolumeClaim) or s3://bucket/prefix`)
}
