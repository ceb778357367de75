-- Where a profile's text came from, recorded when it was imported (all NULL for pasted text and
-- plain files): `source_kind` is 'wikipedia' (an article read through the MediaWiki API) or 'card'
-- (a character card); the URL, the revision (Wikipedia's revision id, a card's character_version),
-- the licence as the source reports it with its URL, the author (a card's creator) and when it was
-- read (ms since the epoch).
ALTER TABLE profiles ADD COLUMN source_kind TEXT CHECK (source_kind IN ('wikipedia', 'card'));
ALTER TABLE profiles ADD COLUMN source_url TEXT;
ALTER TABLE profiles ADD COLUMN source_revision TEXT;
ALTER TABLE profiles ADD COLUMN source_licence TEXT;
ALTER TABLE profiles ADD COLUMN source_licence_url TEXT;
ALTER TABLE profiles ADD COLUMN source_author TEXT;
ALTER TABLE profiles ADD COLUMN retrieved_at INTEGER;

-- A character's picture (a card's icon, PNG/JPEG/WebP/GIF bytes), at most one, gone with the character.
CREATE TABLE character_images (
  character_id TEXT PRIMARY KEY REFERENCES characters (id) ON DELETE CASCADE,
  mime TEXT NOT NULL,
  bytes BLOB NOT NULL,
  updated_at INTEGER NOT NULL
);
