import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT, expectOneLineError, runCli } from '../helpers/cli.js'

/**
 * `geopat catalog refresh` as a user runs it: the input checks that come before any source runs
 * (so no request is made: every case here fails before fetching, whichever sources the build has).
 * The refresh itself (sources, file, dry-run diff) is tested in-process with test-only sources in
 * test/pricing/refresh/run.test.ts; end-to-end runs against local servers come with the sources.
 */
const work = mkdtempSync(join(tmpdir(), 'geopat-refresh-cli-'))
const NO_PROXY_ENV = { HTTPS_PROXY: '', HTTP_PROXY: '', https_proxy: '', http_proxy: '' }
const refresh = (...args: string[]) => runCli(['catalog', 'refresh', ...args], { env: NO_PROXY_ENV })

describe('geopat catalog refresh: bad input is one line, before anything is fetched', () => {
  it('an unknown --source, a malformed --source-url or --from-file, a missing file', async () => {
    const unknown = await refresh('--source', 'oracle')
    expect(unknown.exitCode).toBe(2)
    expect(expectOneLineError(unknown)).toMatch(/--source=oracle .*azure, aws, gcp, ecb/)

    const ftp = await refresh('--source', 'azure', '--source-url', 'azure=ftp://mirror.example/prices')
    expect(ftp.exitCode).toBe(2)
    expect(expectOneLineError(ftp)).toBe('Error: --source-url azure=ftp://mirror.example/prices: must be an http(s) URL')

    const noEquals = expectOneLineError(await refresh('--from-file', 'prices.json'))
    expect(noEquals).toMatch(/--from-file prices\.json: must be SOURCE=VALUE/)

    const missing = join(work, 'no-such-prices.csv')
    const missingFile = await refresh('--from-file', `aws=${missing}`)
    expect(missingFile.exitCode).toBe(2)
    expect(expectOneLineError(missingFile)).toBe(`Error: --from-file aws=${missing}: no such file`)

    const both = join(work, 'azure.json')
    writeFileSync(both, '{}')
    expect(expectOneLineError(await refresh('--from-file', `azure=${both}`, '--source-url', 'azure=http://127.0.0.1:9'))).toMatch(
      /a source reads its API or a file, not both/,
    )
    expect(expectOneLineError(await refresh('--source', 'azure', '--source-url', 'aws=http://127.0.0.1:9'))).toMatch(
      /aws is not being refreshed \(add --source aws\)/,
    )
    expect(expectOneLineError(await refresh('--region', 'mars-north-1', '--out', join(work, 'r.yaml')))).toMatch(
      /--region mars-north-1: not a region of the mapping table/,
    )
    expect(expectOneLineError(await refresh('--timeout', '0', '--out', join(work, 't.yaml')))).toMatch(/--timeout: must be/)
  })

  it('refuses to write inside the package data folder or over an existing file, and --catalog without --dry-run', async () => {
    const inData = join(REPO_ROOT, 'data', 'catalog', 'refreshed-by-test.yaml')
    const dataLine = expectOneLineError(await refresh('--source', 'ecb', '--out', inData))
    expect(dataLine).toMatch(/inside geopat's data folder/)
    expect(existsSync(inData)).toBe(false)

    const existing = join(work, 'prices-existing.yaml')
    writeFileSync(existing, 'rows: []\n')
    const exists = await refresh('--source', 'ecb', '--out', existing)
    expect(exists.exitCode).toBe(2)
    expect(expectOneLineError(exists)).toBe(`Error: --out ${existing}: already exists; pass --overwrite to replace it, or choose another --out`)
    expect(readFileSync(existing, 'utf8')).toBe('rows: []\n')

    expect(expectOneLineError(await refresh('--source', 'ecb', '--out', join(work, 'new.yaml'), '--catalog', existing))).toMatch(
      /--catalog: only for --dry-run/,
    )
  })

  it('a bad --mapping or --catalog file is one line naming the file and field', async () => {
    const mapping = join(work, 'bad-mapping.yaml')
    writeFileSync(
      mapping,
      'providers: []\nskus:\n  - provider: azure\n    sku: X\n    idStem: Bad Stem\n    gpu: H100\n    gpuCount: 1\n    source: test\nregions: []\n',
    )
    const mappingLine = expectOneLineError(await refresh('--mapping', mapping, '--out', join(work, 'm.yaml')))
    expect(mappingLine).toContain(mapping)
    expect(mappingLine).toMatch(/skus\.0\.idStem: must be lower-case/)

    const catalog = join(work, 'bad-catalog.yaml')
    writeFileSync(catalog, 'rows:\n  - id: Not An Id\n')
    const catalogLine = expectOneLineError(await refresh('--dry-run', '--catalog', catalog))
    expect(catalogLine).toContain(catalog)
    expect(catalogLine).toMatch(/rows\.0\.id: /)
  })
})
