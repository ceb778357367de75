/**
 * A setup file of the unit tests: puts the hook React DevTools attaches by
 * (`__REACT_DEVTOOLS_GLOBAL_HOOK__`) in place before any test file of the worker loads react-dom,
 * which reads it once, when it loads. The unit project's workers share their modules between files
 * (`isolate: false`), so a file that counts renders (render-count.ts) could come after another had
 * loaded react-dom without it, and count nothing. Commits go to whichever counter is set then.
 */
type OnCommit = (renderer: number, root: unknown) => void;
const scope = globalThis as { __REACT_DEVTOOLS_GLOBAL_HOOK__?: unknown; __studioOnCommit?: OnCommit | null };

scope.__REACT_DEVTOOLS_GLOBAL_HOOK__ ??= {
  supportsFiber: true,
  isDisabled: false,
  inject: () => 1,
  checkDCE: () => undefined,
  onCommitFiberRoot: (renderer: number, root: unknown) => scope.__studioOnCommit?.(renderer, root),
  onCommitFiberUnmount: () => undefined,
  onPostCommitFiberRoot: () => undefined,
  onScheduleFiberRoot: () => undefined,
};
export {};
