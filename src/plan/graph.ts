/**
 * Strongly connected components (Tarjan), so that workloads that depend on each other in a cycle
 * move together as one group. `edges.get(a)` lists what `a` depends on. Components come out in
 * reverse topological order of the condensed graph: dependencies before their dependents.
 */
export function stronglyConnectedComponents(nodes: string[], edges: Map<string, string[]>): string[][] {
  let counter = 0
  const index = new Map<string, number>()
  const lowLink = new Map<string, number>()
  const onStack = new Set<string>()
  const stack: string[] = []
  const components: string[][] = []

  // Iterative DFS: an inventory's dependency chains may be long.
  for (const root of nodes) {
    if (index.has(root)) continue
    const work: Array<{ node: string; next: number }> = [{ node: root, next: 0 }]
    index.set(root, counter)
    lowLink.set(root, counter++)
    stack.push(root)
    onStack.add(root)
    while (work.length > 0) {
      const frame = work[work.length - 1] as { node: string; next: number }
      const targets = edges.get(frame.node) ?? []
      if (frame.next < targets.length) {
        const target = targets[frame.next++] as string
        if (!index.has(target)) {
          index.set(target, counter)
          lowLink.set(target, counter++)
          stack.push(target)
          onStack.add(target)
          work.push({ node: target, next: 0 })
        } else if (onStack.has(target)) {
          lowLink.set(frame.node, Math.min(lowLink.get(frame.node) as number, index.get(target) as number))
        }
        continue
      }
      work.pop()
      const parent = work[work.length - 1]
      if (parent) lowLink.set(parent.node, Math.min(lowLink.get(parent.node) as number, lowLink.get(frame.node) as number))
      if (lowLink.get(frame.node) === index.get(frame.node)) components.push(popComponent(stack, onStack, frame.node))
    }
  }
  return components
}

/** The component rooted at `root`: the stack's nodes down to it, popped, sorted by name. */
function popComponent(stack: string[], onStack: Set<string>, root: string): string[] {
  const component: string[] = []
  let member: string
  do {
    member = stack.pop() as string
    onStack.delete(member)
    component.push(member)
  } while (member !== root)
  return component.sort()
}
