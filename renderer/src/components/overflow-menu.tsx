import { useEffect, useRef, useState } from 'react';

/** One entry of an overflow menu. */
export interface MenuItem {
  label: string;
  /** Shown on hover: what the entry does. */
  title?: string;
  disabled?: boolean;
  onSelect: () => void;
}

/**
 * A "⋯" button that opens a short menu of the actions a narrow bar has no room for. The menu
 * closes when an entry is chosen, on Escape (focus back on the button), and on a click outside;
 * ↑/↓ move between entries. Entries that open a dialog should hold the dialog outside the menu:
 * the menu's content is gone once it closes.
 */
export function OverflowMenu({ label, items }: { label: string; items: readonly MenuItem[] }) {
  const [open, setOpen] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (!open) return;
    box.current?.querySelector<HTMLButtonElement>('[role="menuitem"]:not(:disabled)')?.focus();
    const outside = (event: PointerEvent) => {
      if (!box.current?.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener('pointerdown', outside);
    return () => document.removeEventListener('pointerdown', outside);
  }, [open]);
  const onKey = (event: React.KeyboardEvent) => {
    if (event.key === 'Escape') {
      setOpen(false);
      button.current?.focus();
      event.stopPropagation();
    } else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      const entries = [...(box.current?.querySelectorAll<HTMLButtonElement>('[role="menuitem"]:not(:disabled)') ?? [])];
      const at = entries.indexOf(document.activeElement as HTMLButtonElement);
      entries[(at + (event.key === 'ArrowDown' ? 1 : entries.length - 1)) % entries.length]?.focus();
      event.preventDefault();
    }
  };
  return (
    <div className="overflow-menu" ref={box} onKeyDown={onKey}>
      <button
        ref={button}
        className="small"
        aria-label={label}
        title={label}
        aria-haspopup="menu"
        aria-expanded={open}
        onClick={() => setOpen(!open)}
      >
        ⋯
      </button>
      {open && (
        <div className="overflow-menu-list" role="menu" aria-label={label}>
          {items.map((item) => (
            <button
              key={item.label}
              role="menuitem"
              disabled={item.disabled}
              title={item.title}
              onClick={() => {
                setOpen(false);
                item.onSelect();
              }}
            >
              {item.label}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}
