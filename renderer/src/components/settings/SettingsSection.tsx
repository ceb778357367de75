import { useId, type ReactNode } from 'react';

/**
 * One Settings section: a titled bar with what the section is for and, on the right, its action;
 * the body below. The section is a region named by its title, for screen readers and tests.
 */
export function SettingsSection({
  title,
  description,
  action,
  children,
}: {
  title: string;
  description: ReactNode;
  action?: ReactNode;
  children?: ReactNode;
}) {
  const titleId = useId();
  return (
    <section aria-labelledby={titleId}>
      <div className="section-bar">
        <div>
          <h3 id={titleId}>{title}</h3>
          <p className="muted">{description}</p>
        </div>
        {action}
      </div>
      {children}
    </section>
  );
}
