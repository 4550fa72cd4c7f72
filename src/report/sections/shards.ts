import type { BenchSummary, MergedShards } from '../../io/schema/summary.js'
import { num, signed } from '../format.js'
import { type Loaded, use } from '../inputs.js'
import { type Table, type Tone, m, n, table } from '../model.js'

type Shard = MergedShards['shards'][number]

const TIME_BASE_WORDS: Record<MergedShards['timeBase'], string> = {
  'one-host': 'the one clock of the host every shard ran on',
  shared: 'the time source the shards share',
  'endpoint-date': "the endpoint's HTTP Date",
  'host-clocks': "each host's own clock, uncorrected",
}

function clientCell(shard: Shard): string {
  const checks = shard.runs.map((run) => run.client)
  if (checks.length === 0 || checks.every((check) => check === null)) return 'no self-check (no summary.json)'
  return [...new Set(checks.map((check) => (check === null ? 'no self-check' : check.verdict)))].join(', ')
}

function offsetCell(shard: Shard, timeBase: MergedShards['timeBase']): string {
  const offset = timeBase === 'shared' ? shard.clock?.shared : timeBase === 'endpoint-date' ? shard.clock?.endpointDate : null
  return offset ? `${signed(offset.offsetMs, 'ms')} ± ${num(offset.uncertaintyMs)} ms` : '–'
}

function shardRow(shard: Shard, timeBase: MergedShards['timeBase']): Table['rows'][number] {
  const failedCheck = shard.runs.some((run) => run.client?.verdict === 'client-bound')
  const tone: Tone = shard.status === 'missing' || shard.status === 'running' || failedCheck ? 'bad' : shard.status === 'interrupted' ? 'warn' : null
  return {
    tone,
    cells: [
      String(shard.index),
      shard.status === 'running' ? 'running (died mid-run)' : shard.status,
      shard.host ?? '–',
      `${num(shard.records, 0)} / ${shard.sent === null ? '–' : num(shard.sent, 0)}`,
      clientCell(shard),
      offsetCell(shard, timeBase),
      shard.runs.length > 0 ? shard.runs.map((run) => num(run.shiftMs, 1)).join(', ') : '–',
    ],
  }
}

/** One table per merged bench run (`geopat merge`): each shard, its host, what it sent, its own client self-check and clock. */
export function shardsTables(bench: Array<Loaded<BenchSummary>>): Table[] {
  const tables: Table[] = []
  for (const { data, file } of bench) {
    const shards = data.shards
    if (!shards) continue
    use(file, 'endpoints')
    const uncertainty = shards.largestUncertaintyMs === null ? 'unknown' : `up to ± ${num(shards.largestUncertaintyMs)} ms`
    const missing = shards.missing.join(', ') || 'none'
    const incomplete = shards.incomplete.join(', ') || 'none'
    const gaps = shards.complete ? '' : ` Missing: ${missing}; did not finish: ${incomplete}: the figures cover only the shards that arrived.`
    tables.push(
      table(
        `Shards of run ${shards.runKey} (${shards.count}), merged`,
        ['Shard', 'Status', m('Host'), n('Records / sent'), 'Client check', n('Clock offset'), n('Shift (ms)')],
        shards.shards.map((shard) => shardRow(shard, shards.timeBase)),
        `Record times put on one origin by ${TIME_BASE_WORDS[shards.timeBase]} (offset uncertainty ${uncertainty}); the summary's ` +
          `figures are recomputed from the union of the shards' records; each shard's client check as it wrote it; from ${file.path}.${gaps}`,
      ),
    )
  }
  return tables
}
