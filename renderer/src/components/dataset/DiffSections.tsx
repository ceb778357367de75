import type { DiffSection } from '../../../../common/contract';

/**
 * A scene diff as a person reads it: each changed part (a field, the turns) under its label, removed
 * words struck and added ones marked; "No differences." when nothing changed.
 */
export function DiffSections({ sections }: { sections: readonly DiffSection[] }) {
  const changed = sections.filter((s) => s.changed);
  if (changed.length === 0) return <p className="muted">No differences.</p>;
  return (
    <>
      {changed.map((section) => (
        <div key={section.label} className="diff-section">
          <h5>{section.label}</h5>
          <p className="diff-text">
            {section.parts.map((part, i) =>
              part.change === 'added' ? (
                <ins key={i}>{part.text}</ins>
              ) : part.change === 'removed' ? (
                <del key={i}>{part.text}</del>
              ) : (
                <span key={i}>{part.text}</span>
              ),
            )}
          </p>
        </div>
      ))}
    </>
  );
}
