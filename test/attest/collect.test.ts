import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { collectFromCli, collectFromFiles, freshNonce } from '../../src/attest/collect.js'
import { buildAttestationRecord } from '../../src/attest/record.js'
import { sha512ReportData } from '../../src/attest/nonce-binding.js'
import { buildSnpReport, signSnpReport } from '../../src/attest/snp-report.js'
import { loadTrustMaterial } from '../../src/attest/trust.js'
import { verifyEvidence } from '../../src/attest/verify.js'
import { makeAttestKeys } from '../helpers/attest-keys.js'

const work = mkdtempSync(join(tmpdir(), 'geopat-collect-'))

describe('evidence sources other than an API', () => {
  it('says plainly when snpguest or nvattest is not on this machine, and records nothing', async () => {
    for (const tool of ['snpguest', 'nvattest'] as const) {
      const evidence = await collectFromCli(tool, freshNonce(), mkdtempSync(join(work, tool)))
      if (evidence.snpReport || evidence.nvidiaEvidence) continue // a confidential VM with the tool installed
      expect(evidence.notes.join(' ')).toMatch(new RegExp(`${tool}: not installed|${tool} exited`))
      expect(evidence.hashes).toEqual({})
    }
  })

  it('verifies evidence files a user brings, but never rates them above claimed: their nonce is not fresh', async () => {
    const keys = await makeAttestKeys()
    const measurement = Buffer.alloc(48, 7)
    const oldNonce = freshNonce()
    const report = signSnpReport(
      buildSnpReport({
        reportData: sha512ReportData(oldNonce),
        measurement,
        chipId: keys.chipId,
        reportedTcb: keys.reportedTcb,
        currentTcb: keys.reportedTcb,
        committedTcb: keys.reportedTcb,
        launchTcb: keys.reportedTcb,
      }),
      keys.vcekPrivateKey,
    )
    writeFileSync(join(work, 'report.bin'), report)
    // The report was made for the nonce it carries: verified against that one, it passes every check.
    const evidence = collectFromFiles({ snpReport: join(work, 'report.bin'), vcekCert: keys.vcekFile }, oldNonce, 'test')
    expect(evidence.hashes.snpReport).toMatch(/^[0-9a-f]{64}$/)
    const trust = loadTrustMaterial({ arkCert: keys.arkFile, askCert: keys.askFile }, 'test')
    const results = await verifyEvidence(evidence, trust, { allowedMeasurements: [measurement.toString('hex')] })
    expect(results[0]?.ok).toBe(true)
    const record = buildAttestationRecord({
      endpoint: 'files',
      source: 'files',
      nonce: oldNonce,
      fetchedAt: evidence.fetchedAt,
      roundTripMs: null,
      evidenceHashes: evidence.hashes,
      notes: [],
      claimed: true,
      nonceFresh: false,
      results,
    })
    expect(record.level).toBe('claimed')
  }, 60_000)
})
