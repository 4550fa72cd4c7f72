/** The machine a benchmark ran on, for the line above its tables. */
import { execa } from 'execa'
import { cpus, loadavg, release, totalmem, type as osType } from 'node:os'
import { PACKAGE_ROOT } from '../../src/util/version.js'

export interface MachineInfo {
  cpuModel: string
  cores: number
  memoryGiB: number
  os: string
  node: string
  openFilesLimit: string
  geopatCommit: string
  date: string
  /** 1-minute load average when the benchmark started: others' work on the machine shows here. */
  loadAverage1m: number
}

export async function machineInfo(): Promise<MachineInfo> {
  const cpuList = cpus()
  const shell = async (command: string): Promise<string> => {
    const result = await execa('sh', ['-c', command], { reject: false, cwd: PACKAGE_ROOT })
    return result.exitCode === 0 ? String(result.stdout).trim() : 'unknown'
  }
  const commit = await shell('git rev-parse --short HEAD')
  const dirty = await shell('git status --porcelain --untracked-files=no | head -1')
  return {
    cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
    cores: cpuList.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${osType()} ${release()}`,
    node: process.version,
    openFilesLimit: await shell('ulimit -n'),
    geopatCommit: commit === 'unknown' ? commit : `${commit}${dirty !== '' && dirty !== 'unknown' ? ' (with uncommitted changes)' : ''}`,
    date: new Date().toISOString(),
    loadAverage1m: loadavg()[0] ?? 0,
  }
}

export function machineLine(machine: MachineInfo): string {
  return (
    `${machine.date.slice(0, 16).replace('T', ' ')} UTC · ${machine.cpuModel}, ${machine.cores} cores, ` +
    `${machine.memoryGiB} GiB · ${machine.os} · Node ${machine.node} · ulimit -n ${machine.openFilesLimit} · ` +
    `geopat ${machine.geopatCommit} · load average (1 min) at start ${machine.loadAverage1m.toFixed(2)}`
  )
}
