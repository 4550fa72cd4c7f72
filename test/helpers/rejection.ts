/** The message of the error `promise` rejects with; fails the test when it resolves. */
export async function rejectionMessage(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    return (error as Error).message
  }
  throw new Error('expected a rejection, the promise resolved')
}
