// @vitest-environment jsdom
import { act, useState } from 'react';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { SceneFacets } from '../../../common/contract';
import { MoreFilters, type MoreFilter } from '../../../renderer/src/components/dataset/BrowserFilters';
import { mountRoot, typeInto } from '../../support/dom';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

// The browser's "More filters": it folded itself away when "Any speaker" was chosen, emptying the
// min box rebuilt it (the cursor left), a minimum above the maximum went to the studio and came
// back refused, and the hand-written scenes' prompt version showed as a bare "(1)".

const facets: SceneFacets = {
  kinds: {},
  problems: 0,
  speakers: [
    { value: 'Neefe', count: 4 },
    { value: 'Beethoven', count: 5 },
  ],
  promptVersions: [
    { value: 'builtin@1', count: 3 },
    { value: '', count: 1 },
  ],
  models: [],
  chunks: [],
};

let page: ReturnType<typeof mountRoot>;
let sent: MoreFilter[];

function Filters() {
  const [value, setValue] = useState<MoreFilter>({});
  return (
    <MoreFilters
      facets={facets}
      value={value}
      onChange={(next) => {
        sent.push(next);
        setValue(next);
      }}
    />
  );
}

beforeEach(() => {
  sent = [];
  page = mountRoot();
  act(() => page.root.render(<Filters />));
});
afterEach(() => page.unmount());

const details = () => page.container.querySelector('details')!;
const box = (label: string) => page.container.querySelector<HTMLInputElement>(`input[aria-label="${label}"]`)!;
function choose(label: string, value: string): void {
  const select = page.container.querySelector<HTMLSelectElement>(`select[aria-label="${label}"]`)!;
  act(() => {
    select.value = value;
    select.dispatchEvent(new Event('change', { bubbles: true }));
  });
}
function openIt(): void {
  act(() => page.container.querySelector('summary')!.click());
  expect(details().open).toBe(true);
}

it('stays open when the last filter goes back to "Any"', () => {
  openIt();
  choose('Speaker', 'Neefe');
  expect(sent.at(-1)).toEqual({ speaker: 'Neefe' });
  choose('Speaker', '');
  expect(sent.at(-1)).toEqual({});
  expect(details().open).toBe(true);
});

it('keeps the cursor in the turns box when it is emptied', () => {
  openIt();
  const min = box('At least turns');
  act(() => min.focus());
  act(() => typeInto(min, '3'));
  expect(sent.at(-1)).toEqual({ minTurns: 3 });
  act(() => typeInto(min, ''));
  expect(sent.at(-1)).toEqual({});
  expect(box('At least turns')).toBe(min);
  expect(document.activeElement).toBe(min);
  expect(details().open).toBe(true);
});

it('says a minimum above the maximum is one, and does not send it', () => {
  openIt();
  act(() => typeInto(box('At most turns'), '2'));
  act(() => typeInto(box('At least turns'), '5'));
  expect(page.container.querySelector('[role="alert"]')?.textContent).toBe('min is above max');
  expect(sent.at(-1)).toEqual({ maxTurns: 2 });
  act(() => typeInto(box('At least turns'), '1'));
  expect(page.container.querySelector('[role="alert"]')).toBeNull();
  expect(sent.at(-1)).toEqual({ minTurns: 1, maxTurns: 2 });
});

it('names the prompt version of scenes written by hand', () => {
  const options = [...page.container.querySelectorAll('select[aria-label="Prompt version"] option')];
  expect(options.map((o) => o.textContent)).toEqual(['Any prompt', 'builtin@1 (3)', 'written by hand, no prompt (1)']);
});
