import type { RunFigure } from './run-figure.js'
import { REQUEST_FIGURES, WINDOW_FIGURES } from './figures/requests.js'
import { GOODPUT_FIGURES, THROUGHPUT_FIGURES } from './figures/throughput.js'
import { TOKEN_FIGURES } from './figures/tokens.js'
import { SESSION_FIGURES } from './figures/sessions.js'

/**
 * Every run-level figure of a run summary, defined once (the latency distributions are in
 * definitions.ts), in the order summarizeRun computes them and summary.csv gives their columns:
 * requests and window (figures/requests.ts), throughput and goodput (figures/throughput.ts), tokens
 * (figures/tokens.ts), multi-turn sessions (figures/sessions.ts). summary.json, summary.csv, the README glossary, SLOs and the terminal tables
 * read them from here. A new figure is one entry in one of those lists: summary.json keeps it under
 * `figures.<id>`, summary.csv gives it a column (`npm run docs` puts it in the README's table).
 */
export const RUN_FIGURES: readonly RunFigure[] = [
  ...REQUEST_FIGURES,
  ...WINDOW_FIGURES,
  ...THROUGHPUT_FIGURES,
  ...GOODPUT_FIGURES,
  ...TOKEN_FIGURES,
  ...SESSION_FIGURES,
]
