import { bytes } from '../format.js'
import { type InputFile, SECTION_IDS, type SectionId } from '../inputs.js'
import { type AppendixSection, m, n, table } from '../model.js'

export const SECTION_TITLES: Record<SectionId, string> = {
  summary: 'Executive summary',
  endpoints: 'Endpoints compared',
  capacity: 'Capacity and cost',
  tco: 'Total cost of ownership',
  plan: 'Migration plan',
  methodology: 'Methodology',
  appendix: 'Appendix: files read',
}

const KIND_NAMES: Record<InputFile['kind'], string> = {
  bench: 'bench summary',
  records: 'raw request records',
  compare: 'compare summary',
  sizing: 'sizing',
  tco: 'TCO',
  plan: 'migration plan',
  'sim-profile': 'simulator profile',
}

export function appendixSection(files: InputFile[], notRendered: string[], command: string): AppendixSection {
  for (const file of files) file.usedBy.add('appendix')
  return {
    files: table(
      'Every file this report read',
      [m('File'), 'What', n('Size'), m('SHA-256'), 'Used in'],
      files.map((f) => [
        f.path,
        KIND_NAMES[f.kind],
        `${bytes(f.bytes)} (${f.bytes.toLocaleString('en-US')} bytes)`,
        f.sha256,
        SECTION_IDS.filter((s) => s !== 'appendix' && f.usedBy.has(s))
          .map((s) => SECTION_TITLES[s])
          .join(', ') || 'listed only',
      ]),
      'Every figure in this report is computed from these files; `sha256sum FILE` checks that a file is the one read. ' +
        'Raw records (records.jsonl) are the truth: the summaries can be recomputed from them.',
    ),
    notRendered,
    command,
  }
}
