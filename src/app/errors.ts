// OptionError lives in src/util/option-error.ts, where domain code can throw it too.
export { OptionError } from '../util/option-error.js'
