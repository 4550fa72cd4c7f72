import type { ChartSvg } from './chart-book.js'

/**
 * The data each template partial reads. Every displayed value is a string formatted in TypeScript
 * (src/report/format.ts) and escaped by Handlebars' {{ }}; the only markup inserted as is, a chart,
 * is a ChartSvg made by src/report/charts.ts and inserted through the `svg` helper. A section is
 * null when no input feeds it, and its partial is then left out.
 */

/** Tone of a table row or a figure: drawn with a colour and a word (never colour alone). */
export type Tone = 'good' | 'warn' | 'bad' | null

/** A source shown as a link only when it is an http(s) URL; anything else is text. */
export interface SourceLink {
  text: string
  /** The http(s) URL to link to; null: show `text` as text. */
  href: string | null
}

export interface PricesUsedRow {
  cells: string[]
  source: SourceLink
  tone: Tone
}

/** The "Prices used" table of the methodology: every catalog row and FX rate a figure of the report was priced with. */
export interface PricesUsed {
  columns: string[]
  rows: PricesUsedRow[]
  fxColumns: string[]
  fxRows: PricesUsedRow[]
  /** Rows and rates over the staleness limit at the report's date, and rows that say they are derived or assumed. */
  warnings: string[]
  note: string
}

export interface Table {
  caption: string
  /** numeric: right-aligned tabular figures; mono: identifiers (paths, URLs, hashes) that may break anywhere. */
  columns: Column[]
  rows: Array<{ cells: string[]; tone: Tone }>
  /** Under the table: how its figures were obtained, which file. */
  note: string | null
}

/** A figure of the executive summary: the number, its interval, where it comes from. */
export interface KeyFigure {
  label: string
  value: string
  /** The interval or the range behind the value, in words. */
  detail: string | null
  /** The file (and field) it was read from. */
  source: string
  tone: Tone
}

export interface ExecutiveSection {
  /** Sentences, each a recommendation resting on the figures below. */
  recommendation: string[]
  figures: KeyFigure[]
  /** What limits the evidence: client-bound runs, simulated endpoints, wide intervals. */
  caveats: string[]
}

export interface ChartBlock {
  chart: ChartSvg
  /** One sentence under the chart: what it shows and from which file. */
  caption: string
  notes: string[]
}

export interface ComparisonBlock {
  /** "geopat compare RUN · operating point low-load (concurrency 2)". */
  title: string
  design: string
  contrasts: Table[]
  overheadCharts: ChartBlock[]
  overheadTable: Table | null
  aaFloor: string | null
  clientVerdicts: Table
  reconciliation: Table | null
  peers: Table | null
  coalescing: string[]
  probe: Table | null
}

export interface EndpointsSection {
  /** One row per bench run (endpoint × load step), with intervals and the client-bound verdict. */
  runs: Table | null
  /** Latency CDFs from records.jsonl, per bench run or compare operating point. */
  cdfs: ChartBlock[]
  /** Throughput–latency curves over sweep steps (bench sweeps, compare saturation), the knee marked. */
  curves: ChartBlock[]
  saturation: Table | null
  comparisons: ComparisonBlock[]
  /** Each endpoint's attestation level, verdict and evidence hashes (none where nothing was attested). */
  attestation: Table | null
  /** Runs merged from shards (`geopat merge`): one table each, a row per shard. */
  shards: Table[]
  warnings: string[]
}

export interface SizingBlock {
  title: string
  facts: Array<{ label: string; value: string }>
  capacity: Table
  fleet: Table
  costs: Table | null
  attainmentChart: ChartBlock | null
  warnings: string[]
}

export interface CapacitySection {
  sizings: SizingBlock[]
}

export interface TcoSection {
  blocks: Array<{
    title: string
    facts: Array<{ label: string; value: string }>
    /** The headline figures: Monte Carlo P50 (P10–P90). */
    options: Table
    /** The deterministic case (inputs at their modes), labelled as such. */
    deterministic: Table | null
    /** NPV of cost per option: Monte Carlo P10–P90 with the P50. */
    fan: ChartBlock | null
    /** Cumulative cost by year in the deterministic case (inputs at their modes), per option. */
    cumulative: ChartBlock | null
    tornados: ChartBlock[]
    complianceTax: ChartBlock | null
    complianceTable: Table | null
    /** Options the sovereignty gate excluded, with the reason. */
    excluded: Table | null
    drivers: Table | null
    warnings: string[]
  }>
}

export interface PlanSection {
  blocks: Array<{
    title: string
    facts: Array<{ label: string; value: string }>
    waves: Table
    gantt: ChartBlock | null
    graph: ChartBlock | null
    capacity: ChartBlock | null
    workloads: Table
    excluded: Table | null
    rollback: Table | null
    deadlines: Table | null
    dualRunning: Table | null
    conflicts: Table | null
  }>
}

export interface SourceRow {
  figure: string
  value: string
  source: string
  date: string
  confidence: string
  /** Where the report found it. */
  foundIn: string
  tone: Tone
}

export interface MethodologySection {
  metrics: Table
  aggregates: Table
  /** The glossary's prose (percentile method, client self-check), from src/metrics/glossary.ts. */
  notes: string[]
  /** How each interval in the report was obtained, collected from the inputs. */
  intervals: string[]
  sources: Table | null
  /** Every catalog row and FX rate a figure was priced with: dates, age, basis, source link. */
  pricesUsed: PricesUsed | null
  staleness: string[]
  simulator: string[]
}

export interface AppendixSection {
  files: Table
  notRendered: string[]
  command: string
}

export interface ReportModel {
  title: string
  subtitle: string
  generatedAt: string
  tool: string
  toc: Array<{ id: string; title: string }>
  /**
   * What limits trust in every figure below, shown first: TLS verification off on an endpoint,
   * a summary whose counts do not match its records. Empty when nothing does.
   */
  alerts: string[]
  executive: ExecutiveSection | null
  endpoints: EndpointsSection | null
  capacity: CapacitySection | null
  tco: TcoSection | null
  plan: PlanSection | null
  methodology: MethodologySection
  appendix: AppendixSection
}

export interface Column {
  label: string
  numeric: boolean
  mono: boolean
}

/** A row as given to `table`: plain cells, or cells with a tone. */
export type RowInput = string[] | { cells: string[]; tone: Tone }

export function table(caption: string, columns: Array<string | (Partial<Column> & { label: string })>, rows: RowInput[], note: string | null = null): Table {
  return {
    caption,
    columns: columns.map((c) =>
      typeof c === 'string' ? { label: c, numeric: false, mono: false } : { label: c.label, numeric: c.numeric ?? false, mono: c.mono ?? false },
    ),
    rows: rows.map((r) => (Array.isArray(r) ? { cells: r, tone: null } : r)),
    note,
  }
}

/** A numeric column (right-aligned). */
export const n = (label: string): Column => ({ label, numeric: true, mono: false })

/** An identifier column (paths, URLs, hashes): monospace, may break anywhere. */
export const m = (label: string): Column => ({ label, numeric: false, mono: true })
