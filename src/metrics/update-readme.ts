import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PACKAGE_ROOT } from '../util/version.js'
import { renderGlossaryMarkdown } from './glossary.js'

const START = '<!-- glossary:start -->'
const END = '<!-- glossary:end -->'

/** README.md with the glossary section replaced by the one generated from the metric definitions. */
export function readmeWithGlossary(readme: string): string {
  const start = readme.indexOf(START)
  const end = readme.indexOf(END)
  if (start === -1 || end === -1 || end < start) throw new Error('README.md lacks the glossary markers')
  return `${readme.slice(0, start + START.length)}\n${renderGlossaryMarkdown()}\n${readme.slice(end)}`
}

// `npm run docs`
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'))) {
  const path = join(PACKAGE_ROOT, 'README.md')
  writeFileSync(path, readmeWithGlossary(readFileSync(path, 'utf8')))
}
