// OptionMessageError lives in src/util/option-error.ts, where domain code can throw it too.
export { OptionMessageError, asOptionError } from '../util/option-error.js'
