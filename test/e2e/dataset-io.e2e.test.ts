import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Character } from '../../common/contract';
import { pageInvoke, useServePage } from '../support/serve-page';

// Datasets in and out in Chromium against `serve`: the import dialog reads one of the paper's
// generated dialogue files (uploaded) and its scenes appear; the export dialog writes the dataset
// with a split and configs, and reports what it wrote. Screenshots of both dialogs.

const session = useServePage('cs-e2e-dataset-io-', { width: 1280, height: 860 });

const dialogue = (n: number) => ({
  setting: [`Bonn, 178${n}. Neefe listens at the organ.`],
  dialogue: [
    { role: 'Beethoven', action: '(thinking)', content: `He will hear every wrong note, ${n}.` },
    { role: 'Beethoven', action: '(speaking)', content: 'Good morning, Herr Neefe.' },
    { role: 'Neefe', action: '(speaking)', content: 'Play, Ludwig, and do not rush.' },
  ],
  location: `The court chapel ${n}`,
  background: 'junk',
  source: `seed_dialogue_${n}`,
});

describe('datasets in and out in a browser', () => {
  it('imports a dataset file through the dialog, then exports it with a split', async () => {
    const { page, serve, data } = session;
    await page.goto(serve.url);
    await pageInvoke<Character>(page, 'characters/create', {
      fullName: 'Ludwig van Beethoven',
      shortName: 'Beethoven',
      era: '1770–1827',
      notes: '',
    });
    await page.getByRole('heading', { name: 'Ludwig van Beethoven', level: 1 }).waitFor();
    await page.getByRole('tab', { name: 'Dataset' }).click();

    // Import from the empty Dataset tab.
    const file = path.join(data.dir, 'generated_agent_dialogue_Beethoven.json');
    fs.writeFileSync(file, JSON.stringify(Array.from({ length: 12 }, (_, i) => dialogue(i))));
    await page.getByRole('button', { name: 'Import a dataset…' }).click();
    const importDialog = page.getByRole('dialog', { name: 'Import dataset' });
    await importDialog.getByLabel('Dataset file').setInputFiles(file);
    await importDialog.getByText('generated_agent_dialogue_Beethoven.json').waitFor();
    await session.shot('dataset-import-dialog');
    await importDialog.getByRole('button', { name: 'Import' }).click();
    const imported = page.getByRole('dialog', { name: 'Dataset imported' });
    await imported.getByText('12 scenes').waitFor();
    await expect.poll(() => imported.textContent()).toMatch(/paper-dialogue.*12 with their experience, 0 protective/);
    await imported.getByRole('button', { name: 'Done' }).click();
    await expect.poll(() => page.getByTestId('scene-item').count()).toBe(12);

    // Export: OpenAI chat lines, 75% train with seed 42, into a folder of the test's data dir.
    await page.getByRole('button', { name: 'Export dataset…' }).click();
    const exportDialog = page.getByRole('dialog', { name: 'Export dataset' });
    await exportDialog.getByRole('combobox', { name: /^Format/ }).selectOption('openai');
    await exportDialog.getByLabel('Train share (%)').fill('75');
    const out = path.join(data.dir, 'exports', 'beethoven-openai');
    await expect.poll(() => exportDialog.getByLabel('Folder').inputValue()).toBe(out);
    await session.shot('dataset-export-dialog');
    await exportDialog.getByRole('button', { name: 'Export' }).click();
    const exported = page.getByRole('dialog', { name: 'Dataset exported' });
    await exported.getByText('12 scenes').waitFor();
    await session.shot('dataset-export-report');
    const train = fs.readFileSync(path.join(out, 'train.jsonl'), 'utf8').trim().split('\n');
    const validation = fs.readFileSync(path.join(out, 'validation.jsonl'), 'utf8').trim().split('\n');
    expect(train.length + validation.length).toBe(12);
    expect(validation.length).toBeGreaterThan(0);
    expect(JSON.parse(train[0]!)).toMatchObject({
      messages: [{ role: 'system' }, { role: 'assistant' }, { role: 'user' }],
    });
    expect(fs.existsSync(path.join(out, 'axolotl.yaml'))).toBe(true);
    await expect.poll(() => exported.getByRole('list', { name: 'Files written' }).locator('li').count()).toBe(4);
    await exported.getByRole('button', { name: 'Done' }).click();
    await page.getByTestId('scene-item').first().click();
    await page.getByText('Imported from generated_agent_dialogue_Beethoven.json, item 1 (seed_dialogue_0)').waitFor();
    await session.shot('dataset-after-import');
  });
});
