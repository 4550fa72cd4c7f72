/** Moved to src/io/schema/sim-profile.ts (the report reads profile files; the report may not import sim). */
export * from '../../io/schema/sim-profile.js'
