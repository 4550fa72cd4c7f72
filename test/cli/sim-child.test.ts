import { execa } from 'execa'
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { type RequestRecord, requestRecordSchema } from '../../src/io/schema/record.js'
import { benchSummarySchema } from '../../src/io/schema/summary.js'
import { REPO_ROOT } from '../helpers/cli.js'
import { waitUntil } from '../helpers/wait.js'

/**
 * The simulator that `geopat bench --sim` (and a scenario's `sim:` endpoints) starts is a child
 * process: it must die with its parent, kill -9 included, and a terminal's Ctrl-C (SIGINT to the
 * whole process group) must not reach it before the parent's grace period is over. The child is
 * found by asking the OS (/proc), so these run on Linux only.
 */
const BIN = join(REPO_ROOT, 'bin', 'run.js')
const work = mkdtempSync(join(tmpdir(), 'geopat-sim-child-'))

/** `/proc/<pid>/stat`: state and parent pid (the command name may hold spaces and parentheses). */
function procStat(pid: number): { state: string; ppid: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const [state, ppid] = text.slice(text.lastIndexOf(')') + 2).split(' ')
    return { state: state as string, ppid: Number(ppid) }
  } catch {
    return undefined
  }
}

function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((candidate) => procStat(candidate)?.ppid === pid)
}

/** Gone, or a zombie nobody has reaped yet (it no longer listens or runs). */
function exited(pid: number): boolean {
  const stat = procStat(pid)
  return stat === undefined || stat.state === 'Z'
}

const recordLines = (file: string): string[] =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => line.endsWith('}'))
    : []

describe.skipIf(process.platform !== 'linux')('the simulator child of geopat bench --sim', () => {
  it('exits when its parent is killed with kill -9', async () => {
    const out = join(work, 'kill9')
    const parent = execa(
      process.execPath,
      [BIN, 'bench', '--sim', '--concurrency', '2', '--duration', '120', '--output-tokens', '20', '--no-progress', '--out', out],
      {
        cwd: REPO_ROOT,
        reject: false,
        stdin: 'ignore',
        env: { CI: '1', GEOPAT_DEBUG: '' },
        timeout: 60_000,
      },
    )
    const parentPid = parent.pid as number
    let simulator: number | undefined
    try {
      // Records on disk: the simulator is up and serving.
      await waitUntil(() => recordLines(join(out, 'records.jsonl')).length > 0, 40_000, 'the first records')
      const children = childrenOf(parentPid)
      expect(children).toHaveLength(1)
      simulator = children[0] as number
      parent.kill('SIGKILL')
      await parent
      await waitUntil(() => exited(simulator as number), 10_000, `the simulator (pid ${simulator}) to exit after its parent's kill -9`)
    } finally {
      parent.kill('SIGKILL')
      if (simulator !== undefined && !exited(simulator)) process.kill(simulator, 'SIGKILL')
    }
  })

  it("outlives a terminal's Ctrl-C to the process group: the streams in flight finish in the grace period", async () => {
    const out = join(work, 'group-sigint')
    const records = join(out, 'records.jsonl')
    // Streams of 1 s (50 tokens, 20 ms apart), far shorter than the grace.
    const parent = execa(
      process.execPath,
      [
        BIN,
        'bench',
        '--sim',
        '--sim-itl-ms',
        '20',
        '--output-tokens',
        '50',
        '--concurrency',
        '4',
        '--duration',
        '120',
        '--grace',
        '30',
        '--no-progress',
        '--out',
        out,
      ],
      { cwd: REPO_ROOT, reject: false, stdin: 'ignore', env: { CI: '1', GEOPAT_DEBUG: '' }, timeout: 90_000, detached: true },
    )
    const parentPid = parent.pid as number
    try {
      // One stream done: its successor and three others are in flight.
      await waitUntil(() => recordLines(records).length > 0, 40_000, 'the first records')
      const seenBefore = recordLines(records).length
      // As a terminal's Ctrl-C does: to every process of the foreground group (the parent's own).
      process.kill(-parentPid, 'SIGINT')
      const result = await parent
      expect(result.exitCode, result.stderr).toBe(130)
      const written: RequestRecord[] = recordLines(records).map((line) => requestRecordSchema.parse(JSON.parse(line)))
      // The streams in flight at the signal finished in the grace period, from a simulator still serving.
      expect(written.length).toBeGreaterThan(seenBefore)
      for (const record of written)
        expect(record.errorClass === null || record.errorClass === 'cancelled', `record ${record.id}: ${record.errorClass} ${record.errorMessage}`).toBe(true)
      const summary = benchSummarySchema.parse(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')))
      expect(summary.runs[0]?.interrupted).toBe(true)
      expect(summary.runs[0]?.requests.sent).toBe(written.length)
    } finally {
      // Whatever is left of the group (nothing, when the test passed).
      try {
        process.kill(-parentPid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
  })
})
