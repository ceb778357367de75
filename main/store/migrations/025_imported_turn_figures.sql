-- Scenes imported before this version were stored without their experiences' turn figures
-- (experience_speakers, scene_turn_lengths), so the speaker filter and the turn charts left them
-- out. The backfill (turn-figures.ts) counts them for every experience that has none.
SELECT 1;
