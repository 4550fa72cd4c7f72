import { expect } from 'vitest'
import { UserError } from '../../src/util/errors.js'

/** The message of the error `promise` rejects with; fails the test when it resolves. */
export async function rejectionMessage(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    return (error as Error).message
  }
  throw new Error('expected a rejection, the promise resolved')
}

/** The message of the UserError `run` throws; fails the test when it throws anything else or nothing. */
export function userErrorMessage(run: () => unknown): string {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(UserError)
    return (error as Error).message
  }
  throw new Error('expected a UserError')
}
