import { parseS3Url } from '../io/s3/url.js'
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

/**
 * `pvc:NAME` or `s3://bucket/prefix` → the target; anything else fails naming `{results}`.
 * (An s3:// URL is read by src/io/s3/url.ts, as bench --upload reads it: a bad one is refused
 * here rather than in the pods.)
 */
export function parseResultsTarget(text: string): ResultsTarget {
  if (text.startsWith('pvc:')) {
    const claimName = text.slice('pvc:'.length)
    if (claimName.length === 0 || claimName.length > 253 || !DNS_SUBDOMAIN.test(claimName))
      throw new OptionMessageError(`{results} "${text}": the claim name must be a Kubernetes name (lowercase letters, digits, '-' and '.', at most 253)`)
    return { kind: 'pvc', claimName }
  }
  if (text.startsWith('s3://')) {
    try {
      const { bucket, prefix } = parseS3Url(text)
      return { kind: 's3', url: `s3://${bucket}${prefix === '' ? '' : `/${prefix.slice(0, -1)}`}` }
    } catch (error) {
      throw new OptionMessageError(`{results}: ${(error as Error).message}`)
    }
  }
  throw new OptionMessageError(`{results} "${text}": give pvc:CLAIM (a ReadWriteMany PersistentVolumeClaim) or s3://bucket/prefix`)
}
