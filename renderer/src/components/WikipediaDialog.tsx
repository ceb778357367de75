import { useState, type FormEvent } from 'react';
import type { CharacterId } from '../../../common/contract';
import { useDialogCommand } from './dialog-command';
import { DialogFooter } from './dialog-footer';
import { Modal } from './Modal';
import { counted } from '../../../common/plural';

const LANGUAGES = ['en', 'de', 'fr', 'es', 'it', 'pt', 'nl', 'pl', 'ru', 'ja', 'zh', 'ar', 'sv', 'uk'];

/**
 * "From Wikipedia…": an article by title (in the chosen language edition) or by address (whose host
 * decides the edition) becomes a profile, its sections chunks; its address, revision and licence are
 * kept with it.
 */
export function WikipediaDialog({ characterId }: { characterId: CharacterId }) {
  const [article, setArticle] = useState('');
  const [lang, setLang] = useState('en');
  const [title, setTitle] = useState('');
  const { run, error, pending, close } = useDialogCommand('profiles/wikipedia');
  const isUrl = /^(https?:\/\/|[a-z-]+(\.m)?\.wikipedia\.org\/)/i.test(article.trim());

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void run(
      { characterId, article, lang, ...(title && { title }) },
      (profile) =>
        `Imported “${profile.title}”: ${counted(profile.chunks.length, 'chunk')}, ${counted(profile.words, 'word')}.`,
    );
  };

  return (
    <Modal title="A profile from Wikipedia" onClose={close}>
      <form className="form" onSubmit={onSubmit}>
        <label>
          Article title or address
          <input
            value={article}
            autoFocus
            placeholder="Ludwig van Beethoven, or https://de.wikipedia.org/wiki/Ludwig_van_Beethoven"
            onChange={(e) => setArticle(e.target.value)}
          />
        </label>
        <label>
          Language edition
          <input
            value={isUrl ? '' : lang}
            disabled={isUrl}
            list="wikipedia-languages"
            placeholder={isUrl ? 'from the address' : 'en'}
            onChange={(e) => setLang(e.target.value)}
          />
          <datalist id="wikipedia-languages">
            {LANGUAGES.map((code) => (
              <option key={code} value={code} />
            ))}
          </datalist>
          <small>
            The text is read through Wikipedia&apos;s API, redirects followed; each section becomes a chunk. The
            article&apos;s address, revision and licence (CC BY-SA) are kept with the profile and credited in exported
            cards.
          </small>
        </label>
        <label>
          <span>
            Title <span className="optional">(optional)</span>
          </span>
          <input
            value={title}
            placeholder="The article's title and language"
            onChange={(e) => setTitle(e.target.value)}
          />
        </label>
        <DialogFooter
          error={error}
          onClose={close}
          submitLabel="Import article"
          pendingLabel="Reading Wikipedia…"
          pending={pending}
          disabled={article.trim() === ''}
        />
      </form>
    </Modal>
  );
}
