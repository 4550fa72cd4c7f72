import type { BenchSummary } from '../../io/schema/summary.js'
import { forTerminal } from '../../util/terminal-text.js'
import { formatRunTable } from './summary-formats.js'

/** What `geopat merge` prints: each merged step's table, one line per shard, and where the files are. */
export function formatMerge(summary: BenchSummary, outDir: string): string {
  const lines = summary.runs.map((run) => formatRunTable(run))
  const shards = summary.shards
  if (shards) {
    const uncertainty = shards.largestUncertaintyMs === null ? 'uncertainty unknown' : `largest uncertainty ±${shards.largestUncertaintyMs.toFixed(1)} ms`
    lines.push(`shards: ${shards.count} (run ${forTerminal(shards.runKey)}), time base ${shards.timeBase} (${uncertainty})`)
    for (const shard of shards.shards) {
      const verdicts = [...new Set(shard.runs.map((run) => run.client?.verdict ?? 'no self-check'))].join(', ') || 'no self-check'
      const sent = shard.sent !== null ? ` (${shard.sent} sent)` : ''
      const host = forTerminal(shard.host ?? '?')
      lines.push(
        shard.status === 'missing'
          ? `  shard ${shard.index}: missing`
          : `  shard ${shard.index}: ${shard.status} on ${host}, ${shard.records} records${sent}, client ${verdicts}`,
      )
    }
    if (!shards.complete) lines.push("  the figures cover only the shards that arrived (see each step's note)")
  }
  lines.push(`records: ${outDir}/records.jsonl · summary: ${outDir}/summary.json`)
  return lines.join('\n')
}
