import { describe, expect, it } from 'vitest';
import { pageInvoke, useServePage } from '../support/serve-page';

// The Evaluate tab's forms at the smallest window the studio supports (1024×700): fields side by
// side line up, whether they are text inputs or selects.

const session = useServePage('cs-e2e-eval-layout-', { width: 1024, height: 700 });

describe('the Judge form', () => {
  it('lines up its provider, model, interviews and retries fields', async () => {
    const { page, serve, shot } = session;
    await page.goto(serve.url);
    await pageInvoke(page, 'characters/create', {
      fullName: 'Ludwig van Beethoven',
      shortName: 'Beethoven',
      era: '1770–1827',
      notes: '',
    });
    await page.reload();
    await page.getByRole('tab', { name: 'Evaluate' }).click();
    await page.getByRole('button', { name: 'Judge', exact: true }).click();
    const row = page.locator('.eval-judge .eval-row').first();
    await row.locator('select').first().waitFor();
    // Each field's label top and control top, bottom and height, in CSS pixels.
    const fields = await row.evaluate((el) =>
      [...el.querySelectorAll(':scope > .field')].map((field) => {
        const label = field.firstElementChild!.getBoundingClientRect();
        const control = field.querySelector('input, select')!.getBoundingClientRect();
        return { label: label.top, top: control.top, bottom: control.bottom };
      }),
    );
    expect(fields.length).toBeGreaterThanOrEqual(3);
    for (const f of fields) {
      expect(Math.abs(f.label - fields[0]!.label)).toBeLessThanOrEqual(0.5);
      expect(Math.abs(f.top - fields[0]!.top)).toBeLessThanOrEqual(0.5);
      expect(Math.abs(f.bottom - fields[0]!.bottom)).toBeLessThanOrEqual(0.5);
    }
    await shot('eval-layout-01-judge-1024');
  }, 60_000);
});
