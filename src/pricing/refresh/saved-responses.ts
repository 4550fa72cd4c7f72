import { once } from 'node:events'
import { type WriteStream, createWriteStream, existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { mkdir, rename, rm, rmdir, writeFile } from 'node:fs/promises'
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { Readable } from 'node:stream'
import { z } from 'zod'
import { UserError, describeZodIssues } from '../../util/errors.js'
import { OptionMessageError } from '../../util/option-error.js'
import type { ResponseSaver, SourceName } from './source.js'

/**
 * `geopat catalog refresh --save-responses DIR` and `--from-dir DIR`: the air-gapped path. On the
 * connected machine each source saves what it downloads, in the form its `--from-file` reads:
 *
 *   DIR/azure.jsonl                 Azure's pages as page records {url, fetchedAt, response}, one a line
 *   DIR/aws/<region>/index.csv      each region's EC2 offer file (CSV form), streamed to disk as it is read
 *   DIR/gcp.json                    the Cloud Billing Catalog's pages, a JSON array (no API key: it is a header)
 *   DIR/ecb.xml                     the ECB's eurofxref-daily.xml
 *   DIR/manifest.json               which source saved which files, from which base URL, when
 *   DIR/README.txt                  the same for a reader, with the commands to run on the other side
 *
 * A source writes under DIR/.<source>.partial/ and its files are renamed into place only when the
 * source succeeded; a source that fails leaves nothing of its own. `--from-dir DIR` reads the
 * manifest: each source reads its files with the base URL and fetch time of the download, so the
 * rows equal the connected machine's, URL and fetch time included.
 */
export const MANIFEST_FILE = 'manifest.json'
const README_FILE = 'README.txt'
const MANIFEST_FORMAT = 'geopat saved price responses, version 1'

/** A relative path inside the folder: plain segments, no `..`, no absolute path. */
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/
const savedFileName = z
  .string()
  .refine(
    (name) => name.split('/').every((segment) => SEGMENT.test(segment) && segment !== '..'),
    'must be a relative path inside the folder (letters, digits, . _ - segments)',
  )

const savedSourceSchema = z
  .object({
    source: z.enum(['azure', 'aws', 'gcp', 'ecb']),
    /** The API base URL the source downloaded from (its default, or --source-url). */
    baseUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
    /** When the source downloaded the files: the fetchedAt of the rows read from them. */
    fetchedAt: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }),
    /** The files, relative to the folder, each one `--from-file SOURCE=<file>`. */
    files: z.array(savedFileName).min(1, 'must name at least one file'),
  })
  .strict()
export type SavedSource = z.infer<typeof savedSourceSchema>

/** DIR/manifest.json. */
const savedResponsesManifestSchema = z
  .object({
    format: z.literal(MANIFEST_FORMAT),
    savedAt: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }),
    sources: z.array(savedSourceSchema).min(1, 'must list at least one source'),
  })
  .strict()
export type SavedResponsesManifest = z.infer<typeof savedResponsesManifestSchema>

/** Checks `--save-responses DIR` before anything is fetched: a new folder, or an empty one. */
export function checkSaveDirectory(dir: string): void {
  if (!existsSync(dir)) return
  if (!statSync(dir).isDirectory()) throw new OptionMessageError(`{saveResponses} ${dir}: exists and is not a folder; give a new or empty folder`)
  if (readdirSync(dir).length > 0)
    throw new OptionMessageError(
      `{saveResponses} ${dir}: the folder is not empty; give a new or empty folder (saved responses are never mixed with older ones)`,
    )
}

/**
 * One source's saver: files go to DIR/.<source>.partial/ until `commit` renames them into DIR, or
 * `discard` removes them. A text or stream that carries one of `secrets` is refused.
 */
export class SourceResponseSaver implements ResponseSaver {
  private readonly names: string[] = []
  private readonly complete = new Set<string>()
  private readonly open = new Set<WriteStream>()
  private readonly partialDir: string

  constructor(
    private readonly dir: string,
    readonly source: SourceName,
    private readonly secrets: readonly string[],
  ) {
    this.partialDir = join(dir, `.${source}.partial`)
  }

  /** The files saved so far (relative to DIR), in the order saved. */
  get files(): readonly string[] {
    return this.names
  }

  async saveText(name: string, text: string): Promise<void> {
    const path = this.claim(name)
    if (this.secrets.some((secret) => text.includes(secret)))
      throw new Error(`${name}: the response carries the value of a secret (an API key); it is not saved`)
    await mkdir(dirname(path), { recursive: true })
    await writeFile(path, text)
    this.complete.add(name)
  }

  saveStream(name: string, body: Readable): Readable {
    const path = this.claim(name)
    const secrets = this.secrets.map((secret) => Buffer.from(secret))
    const overlap = Math.max(0, ...secrets.map((secret) => secret.length - 1))
    const open = this.open
    const complete = this.complete
    async function* copy(): AsyncGenerator<Buffer> {
      await mkdir(dirname(path), { recursive: true })
      const file = createWriteStream(path)
      open.add(file)
      // The end of the previous chunk: a secret split across two chunks is still found.
      let tail = Buffer.alloc(0)
      try {
        for await (const chunk of body as AsyncIterable<Buffer | string>) {
          const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
          if (secrets.length > 0) {
            const window = Buffer.concat([tail, bytes])
            if (secrets.some((secret) => window.includes(secret)))
              throw new Error(`${name}: the response carries the value of a secret (an API key); it is not saved`)
            tail = window.subarray(Math.max(0, window.length - overlap))
          }
          if (!file.write(bytes)) await once(file, 'drain')
          yield bytes
        }
        await new Promise<void>((done, fail) => file.end((error?: Error | null) => (error ? fail(error) : done())))
        complete.add(name)
      } finally {
        open.delete(file)
        if (!complete.has(name)) file.destroy()
      }
    }
    return Readable.from(copy(), { objectMode: false })
  }

  /** Moves the saved files into DIR (the source succeeded); a file not read to its end fails it. */
  async commit(): Promise<string[]> {
    const unfinished = this.names.find((name) => !this.complete.has(name))
    if (unfinished) throw new Error(`${unfinished}: the response was not read to its end; nothing of this source is saved`)
    for (const name of this.names) {
      const target = join(this.dir, ...name.split('/'))
      await mkdir(dirname(target), { recursive: true })
      await rename(join(this.partialDir, ...name.split('/')), target)
    }
    await rm(this.partialDir, { recursive: true, force: true })
    return [...this.names]
  }

  /** Removes everything this source wrote (it failed). */
  async discard(): Promise<void> {
    for (const file of this.open) file.destroy()
    this.open.clear()
    await rm(this.partialDir, { recursive: true, force: true })
  }

  private claim(name: string): string {
    const checked = savedFileName.safeParse(name)
    if (!checked.success) throw new Error(`saved response ${JSON.stringify(name)}: must be a relative path inside the folder (a fault of the source)`)
    if (this.names.includes(name)) throw new Error(`saved response ${name}: saved twice (a fault of the source)`)
    this.names.push(name)
    return join(this.partialDir, ...name.split('/'))
  }
}

/** Writes DIR/manifest.json and DIR/README.txt for the sources that saved files. */
export async function writeSavedResponsesManifest(
  dir: string,
  savedAt: Date,
  sources: readonly SavedSource[],
  failed: ReadonlyArray<{ source: string; error: string }>,
): Promise<SavedResponsesManifest> {
  const manifest = savedResponsesManifestSchema.parse({ format: MANIFEST_FORMAT, savedAt: savedAt.toISOString(), sources })
  await writeFile(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`)
  await writeFile(join(dir, README_FILE), savedResponsesReadme(manifest, failed))
  return manifest
}

/** The README.txt of a saved folder: the files, and the commands that read them on the air-gapped machine. */
function savedResponsesReadme(manifest: SavedResponsesManifest, failed: ReadonlyArray<{ source: string; error: string }> = []): string {
  const fromFile = manifest.sources.flatMap((source) => source.files.map((file) => `--from-file ${source.source}=${file}`))
  const lines = [
    `Price responses saved by geopat catalog refresh --save-responses at ${manifest.savedAt}.`,
    'Each file is what its source downloaded, in the form geopat catalog refresh --from-file reads.',
    '',
    'Files (relative to this folder):',
    ...manifest.sources.flatMap((source) =>
      source.files.map((file) => `  ${file}  (${source.source}, from ${source.baseUrl}, downloaded ${source.fetchedAt})`),
    ),
    '',
    'Carry this whole folder to the air-gapped machine and run there:',
    '',
    '  geopat catalog refresh --from-dir <this folder>',
    '',
    `It reads ${MANIFEST_FILE}: every file, and where and when each source downloaded it, so the rows`,
    'are the ones the connected machine would write (URLs and fetch times included).',
    'Or name the files yourself, from inside this folder (then the AWS, GCP and ECB rows cite the',
    "providers' own URLs and carry the time of that refresh; Azure's page records keep theirs):",
    '',
    `  geopat catalog refresh ${fromFile.join(' ')}`,
    '',
  ]
  if (failed.length > 0) {
    lines.push('Sources that failed (nothing of theirs is saved here):', ...failed.map((source) => `  ${source.source}: ${source.error}`), '')
  }
  return `${lines.join('\n')}`
}

/** What `--from-dir DIR` reads: each source's files (absolute paths) and where and when they were downloaded. */
export interface SavedResponsesRead {
  manifest: SavedResponsesManifest
  fromFiles: Partial<Record<SourceName, string[]>>
  origins: Partial<Record<SourceName, { baseUrl: string; fetchedAt: Date }>>
}

/** Reads DIR/manifest.json and checks that every file it names is in DIR; one line on anything wrong. */
export function readSavedResponses(dir: string): SavedResponsesRead {
  const path = join(dir, MANIFEST_FILE)
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const noManifest = `no ${MANIFEST_FILE} (not a folder written by geopat catalog refresh {saveResponses}; name its files with {fromFiles} SOURCE=PATH)`
    throw new OptionMessageError(`{fromDir} ${dir}: ${code === 'ENOENT' ? noManifest : `cannot read ${MANIFEST_FILE} (${code ?? String(error)})`}`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new UserError(`${path}: not JSON`)
  }
  const parsed = savedResponsesManifestSchema.safeParse(json)
  if (!parsed.success) throw new UserError(describeZodIssues(path, parsed.error.issues))
  const root = resolve(dir)
  const fromFiles: SavedResponsesRead['fromFiles'] = {}
  const origins: SavedResponsesRead['origins'] = {}
  parsed.data.sources.forEach((source, index) => {
    if (fromFiles[source.source]) throw new UserError(`${path}: sources.${index}.source: ${source.source} is listed twice`)
    fromFiles[source.source] = source.files.map((file, fileIndex) => {
      const absolute = resolve(root, ...file.split('/'))
      const inside = relative(root, absolute)
      if (inside === '' || inside.startsWith('..') || isAbsolute(inside) || inside.split(sep).includes('..'))
        throw new UserError(`${path}: sources.${index}.files.${fileIndex}: must be inside the folder`)
      if (!existsSync(absolute)) throw new UserError(`${path}: sources.${index}.files.${fileIndex}: ${file} is not in the folder (copied in part?)`)
      return absolute
    })
    origins[source.source] = { baseUrl: source.baseUrl, fetchedAt: new Date(source.fetchedAt) }
  })
  return { manifest: parsed.data, fromFiles, origins }
}

/** Removes DIR if this refresh created it and nothing was saved in it. */
export async function removeIfEmpty(dir: string): Promise<void> {
  try {
    await rmdir(dir)
  } catch {
    // not empty, or already gone: left as it is
  }
}
