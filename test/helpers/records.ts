import type { RequestRecord } from '../../src/io/schema/record.js'

/** The fields of a record that ran to its length without error, the server counting its tokens. */
export const COMPLETED_RECORD_END = {
  inputTokensSource: 'server',
  outputTokensSource: 'server',
  perChunkUsage: false,
  finishReason: 'length',
  sawDone: true,
  ok: true,
  httpStatus: 200,
  errorClass: null,
  errorMessage: null,
  retries: 0,
  retryWaitMs: 0,
} as const satisfies Partial<RequestRecord>
