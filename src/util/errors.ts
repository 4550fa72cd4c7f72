/**
 * An error caused by the user's input (a flag, a file, an unreachable endpoint).
 * Commands print its message as one line and exit non-zero, without a stack trace.
 */
export class UserError extends Error {
  readonly exitCode: number
  constructor(message: string, exitCode = 2) {
    super(message)
    this.name = 'UserError'
    this.exitCode = exitCode
  }
}

/** Formats a zod issue list as one line: `FILE: field.path: rule`. */
export function describeZodIssues(source: string, issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>): string {
  const first = issues[0]
  if (!first) return `${source}: invalid`
  const path = first.path.length > 0 ? first.path.map(String).join('.') : '(root)'
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''
  return `${source}: ${path}: ${first.message}${more}`
}
