import { Component, type ErrorInfo, type ReactNode } from 'react';

interface Props {
  /** What the user calls this part of the window ("The Dataset tab"). */
  what: string;
  /** A new key (another tab, another character) draws the part afresh. */
  resetKey: string;
  children: ReactNode;
}

interface State {
  error: Error | null;
  key: string;
}

/**
 * A part of the window that throws while drawing shows what went wrong, in its own place, instead
 * of React unmounting the whole window to a blank page. The rest of the studio keeps working, and
 * nothing saved is touched (the data lives in main, not in the view). "Try again", or moving to
 * another tab or character, draws it afresh.
 */
export class ScreenBoundary extends Component<Props, State> {
  override state: State = { error: null, key: this.props.resetKey };

  static getDerivedStateFromError(error: unknown): Partial<State> {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  static getDerivedStateFromProps(props: Props, state: State): Partial<State> | null {
    return props.resetKey === state.key ? null : { error: null, key: props.resetKey };
  }

  override componentDidCatch(error: Error, info: ErrorInfo): void {
    console.error(`${this.props.what} failed to draw:`, error, info.componentStack);
  }

  override render(): ReactNode {
    const { error } = this.state;
    if (!error) return this.props.children;
    return (
      <div className="empty small screen-error" role="alert">
        <h3>{this.props.what} could not be shown</h3>
        <p>
          It stopped on an error: <code>{error.message}</code>. Nothing you saved is affected. Try again, or go to
          another tab; if it keeps happening, copy the details below into a bug report.
        </p>
        <button className="primary" onClick={() => this.setState({ error: null })}>
          Try again
        </button>
        <details>
          <summary>Details</summary>
          <pre>{error.stack ?? error.message}</pre>
        </details>
      </div>
    );
  }
}
