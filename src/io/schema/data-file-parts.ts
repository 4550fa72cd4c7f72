import { z } from 'zod'
import { confidenceSchema, isoDateSchema } from './catalog.js'

/** Where a figure of a data file (data/compliance, data/finance) comes from: its source, date, confidence and a note. */
export const provenanceFields = {
  source: z.string().min(1),
  date: isoDateSchema,
  confidence: confidenceSchema,
  note: z.string().optional(),
}
