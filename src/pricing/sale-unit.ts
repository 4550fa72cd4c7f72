/** How an offer is sold: one GPU at a time, or whole nodes (instances) of gpusPerNode GPUs. */
export interface SaleUnit {
  soldBy: 'gpu' | 'node'
  gpusPerNode: number
}

/**
 * How a catalog row's offer is sold: its soldBy; absent, whole instances for an instance-hour price
 * of several GPUs (the instance is the node), else GPU by GPU.
 */
export function saleUnitOf(row: { soldBy?: 'gpu' | 'node' | undefined; gpusPerNode?: number | undefined; unit: string; gpuCount: number }): SaleUnit {
  const soldBy = row.soldBy ?? (row.unit === 'instance-hour' && row.gpuCount > 1 ? 'node' : 'gpu')
  if (soldBy === 'node') return { soldBy: 'node', gpusPerNode: row.gpusPerNode ?? row.gpuCount }
  return { soldBy: 'gpu', gpusPerNode: 1 }
}
