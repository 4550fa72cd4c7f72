/**
 * Token-length specifications (how long prompts and replies should be) and their samplers.
 * One spec shape serves scenario files (validated by `lengthSpecSchema`) and CLI flags
 * (`parseLengthFlag`), so `--input-tokens normal:512,64` and `{dist: normal, mean: 512, std: 64}`
 * mean the same thing.
 */
import { UserError, describeZodIssues } from '../util/errors.js'
import { type Random, lognormalSampler, sampleStandardNormal } from '../util/rng.js'
import { type LengthSpec, lengthSpecSchema } from '../io/schema/length-spec.js'

const FLAG_RULE = 'expected N, uniform:MIN-MAX, normal:MEAN,STD or lognormal:MEAN,STD (normal and lognormal may add ,MIN-MAX to clamp)'

/**
 * Parses a CLI length flag: `512`, `fixed:512`, `uniform:128-1024`, `normal:512,64`,
 * `lognormal:512,200`; normal and lognormal accept a clamp range as a third part
 * (`normal:512,64,256-1024`). Throws UserError with one line on bad text.
 */
export function parseLengthFlag(text: string): LengthSpec {
  const trimmed = text.trim()
  const spec = specFromFlagText(trimmed)
  if (spec === undefined) throw new UserError(`invalid token length "${text}": ${FLAG_RULE}`)
  const parsed = lengthSpecSchema.safeParse(spec)
  if (!parsed.success) throw new UserError(describeZodIssues(`invalid token length "${text}"`, parsed.error.issues))
  return parsed.data
}

const NUMBER = String.raw`(\d+(?:\.\d+)?)`
const RANGE = String.raw`(\d+)-(\d+)`
const FIXED_FLAG = /^(?:fixed:)?(\d+)$/
const UNIFORM_FLAG = new RegExp(`^uniform:${RANGE}$`)
const BELL_FLAG = new RegExp(`^(normal|lognormal):${NUMBER},${NUMBER}(?:,${RANGE})?$`)

function specFromFlagText(text: string): unknown {
  const fixed = FIXED_FLAG.exec(text)
  if (fixed) return Number(fixed[1])
  const uniform = UNIFORM_FLAG.exec(text)
  if (uniform) return { dist: 'uniform', min: Number(uniform[1]), max: Number(uniform[2]) }
  const bell = BELL_FLAG.exec(text)
  if (bell) {
    const [, dist, mean, std, min, max] = bell
    return {
      dist,
      mean: Number(mean),
      std: Number(std),
      ...(min !== undefined && max !== undefined ? { min: Number(min), max: Number(max) } : {}),
    }
  }
  return undefined
}

/** Returns a function drawing token counts (integers >= 1) from `spec`, using `random`. */
export function createLengthSampler(spec: LengthSpec, random: Random): () => number {
  const parsed = lengthSpecSchema.safeParse(spec)
  if (!parsed.success) throw new UserError(describeZodIssues('token length', parsed.error.issues))
  const valid = parsed.data
  if (typeof valid === 'number') return () => valid
  switch (valid.dist) {
    case 'fixed':
      return () => valid.value
    case 'uniform': {
      const span = valid.max - valid.min + 1
      return () => valid.min + Math.floor(random.next() * span)
    }
    case 'normal': {
      const clamp = clampTo(valid.min, valid.max)
      return () => clamp(Math.round(valid.mean + valid.std * sampleStandardNormal(random)))
    }
    case 'lognormal': {
      // mean and std describe the token counts themselves.
      const draw = lognormalSampler(valid.mean, valid.std, random)
      const clamp = clampTo(valid.min, valid.max)
      return () => clamp(Math.round(draw()))
    }
  }
}

function clampTo(min = 1, max = Number.POSITIVE_INFINITY): (n: number) => number {
  const floor = Math.max(1, min)
  return (n) => Math.min(max, Math.max(floor, n))
}
