import { describe, expect, it } from 'vitest'
import { OptionMessageError, asOptionError } from '../../src/util/option-error.js'
import { withFlagNames } from '../../src/cli/flags/option-errors.js'
import * as parse from '../../src/cli/flags/parsers.js'
import { defineFlags, string, value } from '../../src/cli/flags/table.js'
import { UserError } from '../../src/util/errors.js'

/** A command's table whose flags set the options of a use case (timeoutSeconds, fromDir). */
const table = defineFlags({
  timeout: value(parse.integer, { description: 'seconds', path: 'timeoutSeconds' }),
  'from-dir': string({ description: 'folder', path: 'fromDir' }),
})

async function errorOf(work: () => Promise<unknown>): Promise<UserError> {
  try {
    await work()
  } catch (error) {
    expect(error).toBeInstanceOf(UserError)
    return error as UserError
  }
  throw new Error('expected a UserError')
}

describe('use-case errors that name options', () => {
  it('read each option by its key outside the command line, keeping the exit code', () => {
    const error = new OptionMessageError('{fromDir} saved/ and {timeoutSeconds}: clash', 1)
    expect(error).toBeInstanceOf(UserError)
    expect(error.message).toBe('fromDir saved/ and timeoutSeconds: clash')
    expect(error.exitCode).toBe(1)
  })

  it('come out of the cli with each option named as the flag whose path it is, a key no flag sets as itself', async () => {
    const error = await errorOf(() =>
      withFlagNames(table, () => {
        throw new OptionMessageError('{fromDir} saved/ and {strict}: the folder is {timeoutSeconds} old', 1)
      }),
    )
    expect(error).not.toBeInstanceOf(OptionMessageError)
    expect(error.message).toBe('--from-dir saved/ and strict: the folder is --timeout old')
    expect(error.exitCode).toBe(1)
  })

  it('name a key no flag path sets after the flag of no path with its kebab-case name (a table without paths)', async () => {
    const bare = defineFlags({
      'cc-endpoint': string({ description: 'label' }),
      from: string({ description: 'folder' }),
      profile: string({ description: 'profile', path: 'endpoints.0.profile' }),
    })
    const error = await errorOf(() =>
      withFlagNames(bare, () => {
        throw new OptionMessageError('{ccEndpoint} cvm and {from} run/: {profile} is a path flag, {endpoint} is no flag')
      }),
    )
    expect(error.message).toBe('--cc-endpoint cvm and --from run/: profile is a path flag, endpoint is no flag')
  })

  it('leave other errors as they are', async () => {
    const plain = new UserError('model.yaml: options.0: bad')
    expect(await errorOf(() => withFlagNames(table, () => Promise.reject(plain)))).toBe(plain)
  })

  it('turn a lower layer’s one-line error that starts with an option in braces into an OptionMessageError, and only that', () => {
    expect(() =>
      asOptionError(() => {
        throw new UserError('{price} h100-x: no catalog row "h100-x"', 3)
      }),
    ).toThrow(expect.objectContaining({ name: 'OptionMessageError', template: '{price} h100-x: no catalog row "h100-x"', exitCode: 3 }))
    const other = new UserError('catalog.yaml: rows.0.id: required')
    expect(() =>
      asOptionError(() => {
        throw other
      }),
    ).toThrow(other)
    expect(asOptionError(() => 42)).toBe(42)
  })
})
