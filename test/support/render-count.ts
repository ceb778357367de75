/**
 * Counts how often components render, by name, through the hook React DevTools attaches by (React
 * reads `__REACT_DEVTOOLS_GLOBAL_HOOK__` once, when react-dom loads: devtools-hook.ts puts it in
 * place first). For tests that hold a screen to "a keystroke renders only the box typed in".
 *
 * After each commit the committed tree is walked: a component rendered in that commit if its fiber
 * did work (React's PerformedWork flag) and is not the fiber the previous commit left there (a
 * component React skipped keeps its old fiber, flag and all).
 */
interface Fiber {
  type: unknown;
  flags: number;
  child: Fiber | null;
  sibling: Fiber | null;
}

const PERFORMED_WORK = 1;
const counts = new Map<string, number>();
let previous = new Set<Fiber>();

function nameOf(type: unknown): string | undefined {
  return typeof type === 'function' ? (type as { name?: string }).name : undefined;
}

function onCommitFiberRoot(_renderer: number, root: { current: Fiber }): void {
  const seen = new Set<Fiber>();
  const stack: Fiber[] = [root.current];
  while (stack.length > 0) {
    const fiber = stack.pop()!;
    seen.add(fiber);
    const name = nameOf(fiber.type);
    if (name && fiber.flags & PERFORMED_WORK && !previous.has(fiber)) counts.set(name, (counts.get(name) ?? 0) + 1);
    if (fiber.child) stack.push(fiber.child);
    if (fiber.sibling) stack.push(fiber.sibling);
  }
  previous = seen;
}

// The hook itself is in place before react-dom loads (devtools-hook.ts, a setup file of the unit
// tests); its commits come here while this module is loaded.
(globalThis as { __studioOnCommit?: typeof onCommitFiberRoot }).__studioOnCommit = onCommitFiberRoot;

/** Renders of the component called `name` since the last `resetRenders`. */
export function rendersOf(name: string): number {
  return counts.get(name) ?? 0;
}

export function resetRenders(): void {
  counts.clear();
}
