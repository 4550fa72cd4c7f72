/** Moved to src/schema/sim-profile.ts (the report reads profile files; the report may not import sim). */
export * from '../../schema/sim-profile.js'
