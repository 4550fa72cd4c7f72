/**
 * geopat's layer check (issue #19, scope 1), run by `npm run deps:check` inside `npm test`.
 *
 * Layers, top to bottom; an import may only point down (or stay inside its own module):
 *   cli      src/cli                           oclif commands (src/cli/commands), flag tables, human renderers
 *   app      src/app                           one use case per command; the run chain
 *   domain   src/<module>, in DOMAIN_TIERS     one job per module; a module imports only lower tiers
 *   io       src/io                            zod schemas (src/io/schema), artefact readers and writers
 *   util     src/util                          no geopat imports
 * and no cycle anywhere in src/.
 *
 * Exceptions that the tree has today are listed in KNOWN_VIOLATIONS, each with its reason; they are
 * reported as ignored. Anything not on that list fails the check. Remove an entry when its import
 * goes away (depcruise then says nothing: a stale entry is harmless but misleading).
 */

/** A folder of src/ as a path pattern (the folder and everything under it). */
const folder = (name) => `^src/${name}/`

const LAYERS = {
  cli: [folder('cli')],
  app: [folder('app')],
  io: [folder('io')],
  util: [folder('util')],
}

/**
 * Domain modules, lowest tier first. A module may import modules of lower tiers only (not its
 * tier-mates, not higher tiers). The order is the one the tree already follows: the simulator's
 * engine sits below sizing (sizing asks it for a replica's capacity), while its calibration fit
 * (src/sim/fit) sits above sizing (it fits operating points with sizing's search).
 */
const DOMAIN_TIERS = [
  { input: [folder('input')] },
  { client: [folder('client')] },
  { attest: [folder('attest')], metrics: [folder('metrics')] },
  { load: [folder('load')], pricing: [folder('pricing')], merge: [folder('merge')] },
  { sim: ['^src/sim/(?!fit/)'] },
  { sizing: [folder('sizing')] },
  { 'sim-fit': [folder('sim/fit')], plan: [folder('plan')], compare: [folder('compare')] },
  { tco: [folder('tco')] },
  { report: [folder('report')] },
  { k8s: [folder('k8s')] },
]

const DOMAIN = DOMAIN_TIERS.flatMap((tier) => Object.values(tier).flat())

/**
 * Imports the tree has today that break a rule, each with why it stays for now. Each entry is one
 * import (from file → to file) under one rule name.
 */
const KNOWN_VIOLATIONS = []

/** Files that import nothing of geopat's and that nothing imports, on purpose. */
const ALLOWED_ORPHANS = [
  '^src/util/oclif-manifest\\.ts$', // run by `npm run build` (writes oclif.manifest.json); uses node: modules only
]

/** One rule per domain module: it may not import its tier-mates or any higher tier. */
const domainOrderRules = DOMAIN_TIERS.flatMap((tier, index) => {
  const above = DOMAIN_TIERS.slice(index + 1).flatMap((t) => Object.values(t).flat())
  return Object.entries(tier).flatMap(([name, paths]) => {
    const mates = Object.entries(tier)
      .filter(([other]) => other !== name)
      .flatMap(([, p]) => p)
    const forbidden = [...above, ...mates]
    if (forbidden.length === 0) return [] // the top tier: nothing in the domain above it
    return {
      name: `domain-order-${name}`,
      comment: `domain module ${name} imports only lower tiers (see DOMAIN_TIERS)`,
      severity: 'error',
      from: { path: paths },
      to: { path: forbidden },
    }
  })
})

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'no import cycle anywhere in src/ (type-only imports count: they tie the modules as much)',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-orphans',
      comment: 'every file in src/ is imported or imports something (else it is dead code); ALLOWED_ORPHANS are entry points',
      severity: 'error',
      from: { orphan: true, path: '^src/', pathNot: ['\\.d\\.ts$', ...ALLOWED_ORPHANS] },
      to: {},
    },
    {
      name: 'app-not-up',
      comment: 'use cases (src/pipeline) do not import the CLI',
      severity: 'error',
      from: { path: LAYERS.app },
      to: { path: LAYERS.cli },
    },
    {
      name: 'domain-not-up',
      comment: 'domain modules do not import the CLI or the use cases',
      severity: 'error',
      from: { path: DOMAIN },
      to: { path: [...LAYERS.cli, ...LAYERS.app] },
    },
    {
      name: 'io-not-up',
      comment: 'schemas and artefact readers/writers do not import domain modules, use cases or the CLI',
      severity: 'error',
      from: { path: LAYERS.io },
      to: { path: [...DOMAIN, ...LAYERS.cli, ...LAYERS.app] },
    },
    {
      name: 'util-not-up',
      comment: 'src/util imports no other part of geopat',
      severity: 'error',
      from: { path: LAYERS.util },
      to: { path: '^src/', pathNot: LAYERS.util },
    },
    ...domainOrderRules,
  ],
  options: {
    includeOnly: '^src/',
    doNotFollow: { path: 'node_modules' },
    // Sees `import type` too (they make cycles and layer breaks as much as value imports do).
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
    knownViolations: KNOWN_VIOLATIONS.map(({ rule, from, to, comment }) => ({
      type: 'dependency',
      from,
      to,
      rule: { name: rule, severity: 'error' },
      comment,
    })),
  },
}
