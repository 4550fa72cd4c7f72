import { z } from 'zod'
import { monthSchema, strategySchema } from './inventory.js'

const spanSchema = z.object({ start: monthSchema, end: monthSchema }).strict()

const rollbackCriterionSchema = z
  .object({
    metric: z.enum(['ttft-p90', 'tpot-p90', 'error-rate', 'eval-regression', 'cost-per-mtok-deviation']),
    /** Roll back when the canary's figure is above this. */
    threshold: z.number(),
    unit: z.string(),
    /** Where the threshold comes from: the SLO, or a measured interval (outside the measured noise). */
    basis: z.string(),
  })
  .strict()

const conflictSchema = z
  .object({
    kind: z.enum(['unknown-reference', 'no-legal-option', 'latency', 'capacity', 'deadline']),
    workload: z.string(),
    detail: z.string(),
  })
  .strict()
export type PlanConflict = z.infer<typeof conflictSchema>

const plannedWorkloadSchema = z
  .object({
    name: z.string(),
    owner: z.string(),
    strategy: strategySchema,
    /** Target option id; null for retain and retire. */
    option: z.string().nullable(),
    reasons: z.array(z.string()),
    excludedOptions: z.array(z.object({ option: z.string(), reason: z.string() }).strict()),
    /** Workloads that depend on each other in a cycle share a group and move together. */
    group: z.number().int(),
    wave: z.number().int().nullable(),
    gpus: z.number().int().nonnegative(),
    timeline: z
      .object({
        assessment: spanSchema,
        pilot: spanSchema,
        canary: spanSchema,
        dualRunning: spanSchema.nullable(),
        cutover: monthSchema,
        decommission: spanSchema,
      })
      .strict()
      .nullable(),
    deadlines: z.array(z.object({ id: z.string(), date: z.string(), title: z.string(), met: z.boolean().nullable() }).strict()),
    canarySteps: z.array(z.number()),
    rollback: z.array(rollbackCriterionSchema),
  })
  .strict()
export type PlannedWorkload = z.infer<typeof plannedWorkloadSchema>

export const planSchema = z
  .object({
    schema: z.literal('geopat.plan/v1'),
    createdAt: z.string(),
    tool: z.object({ name: z.literal('geopat'), version: z.string() }).strict(),
    organisation: z.string(),
    start: monthSchema,
    inventoryFile: z.string(),
    workloads: z.array(plannedWorkloadSchema),
    waves: z.array(
      z
        .object({
          number: z.number().int().positive(),
          start: monthSchema,
          /** Last cutover of the wave. */
          cutover: monthSchema,
          end: monthSchema,
          workloads: z.array(z.string()),
          gpus: z.number().int().nonnegative(),
          /** Highest deadline pressure, value and risk of the wave, in words. */
          rationale: z.string(),
        })
        .strict(),
    ),
    /** One bar per workload and step: the Gantt chart's data. */
    gantt: z.array(z.object({ wave: z.number().int(), workload: z.string(), task: z.string(), start: monthSchema, end: monthSchema }).strict()),
    dependencyGraph: z
      .object({
        nodes: z.array(z.object({ name: z.string(), wave: z.number().int().nullable(), strategy: strategySchema, group: z.number().int() }).strict()),
        edges: z.array(z.object({ from: z.string(), to: z.string() }).strict()),
        /** Groups of two or more workloads that depend on each other in a cycle. */
        cycles: z.array(z.array(z.string())),
      })
      .strict(),
    capacity: z.array(z.object({ month: monthSchema, available: z.number().int(), used: z.number().int() }).strict()),
    /** Months during which old and new both run: what the TCO's migration line should carry. */
    dualRunning: z.array(
      z
        .object({
          workload: z.string(),
          option: z.string(),
          /** The TCO model's option this target is costed as (the inventory option's tcoOption). */
          tcoOption: z.string().nullable(),
          /** When the move begins (its assessment), and the dual-running window after cutover. */
          moveStart: monthSchema,
          start: monthSchema,
          end: monthSchema,
          months: z.number().int(),
          gpus: z.number().int(),
          /**
           * Months both hosts are paid: the new one from the pilot (it runs the pilot and the canary),
           * the old one until the dual running ends. `geopat tco --plan` bills this window, no other.
           */
          overlap: z.object({ start: monthSchema, end: monthSchema, months: z.number().int().nonnegative() }).strict(),
        })
        .strict(),
    ),
    conflicts: z.array(conflictSchema),
  })
  .strict()
export type Plan = z.infer<typeof planSchema>
