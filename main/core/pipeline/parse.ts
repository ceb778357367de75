/**
 * Parsers for what the generation stages get back from an LLM: scenes and experiences, in the
 * paper's text format and in our JSON format. Pure functions, no I/O.
 *
 * Contract:
 * - Never throw on any input. Each returns `{items, problems}`: what could be read, and one
 *   `ParseProblem {index, code, reason, raw, turn}` for every piece that could not, or that was read
 *   only by bending the format (index -1 for the whole answer). One malformed block never loses the
 *   others. Nothing is dropped without a problem.
 * - Scenes: `Type:` / `Location:` / `Background:` blocks (optional `Time:` and `People:`), numbered,
 *   bulleted or in stray markdown. A block needs a type, a location and a background.
 *   A blank line ends a field's continuation lines; loose prose outside blocks ("Here are 20
 *   scenes:") is not a scene and is ignored.
 * - Experiences: an optional `Background:` paragraph, then turns `Name (speaking|thinking|action): text`
 *   or a header line `Name (speaking)` with the utterance on the following lines. An utterance runs
 *   until the next turn header, paragraphs included (blank lines kept as one `\n\n`); parentheses in
 *   content are kept. Names given as `aliases` become `character`.
 * - Every turn the model wrote is kept as written. What does not fit the format is reported with
 *   `turn` pointing at the kept turn: a thinking turn by anyone but the main character
 *   (`other_thinking`; the method lets only the main character think, so the training export decides
 *   what to do with it), a turn without a label (`unlabeled_turn`), a JSON turn of an unknown kind
 *   (`unknown_kind`, kept as speaking). Only turns with no text, or JSON elements with no speaker,
 *   are not kept as turns; their text stays in the problem's `raw`.
 * - Cut-off output is flagged `truncated: true` and never presented as complete: finish reason
 *   `length`, the `<|NONSTOP|>` marker, an empty last turn, or (unless the server said `stop`) a last
 *   turn that stops mid-sentence. The turns are still returned so a caller may salvage them.
 * - `Name: text` without a label, by a known speaker (the main character, an alias, or someone who
 *   already had a labelled turn), is read as speaking and reported.
 * - `<|eot|>` (the SFT turn terminator) is accepted as a turn end, so exported outputs parse too.
 */
export type {
  ParseProblem,
  ParseResult,
  ParsedScene,
  TurnKind,
  ParsedTurn,
  ParsedExperience,
  ExperienceParseOptions,
} from './parse-common';
export { formatProblems } from './parse-common';
export { parseScenesText, parseScenesJson } from './parse-scenes';
export { parseExperienceText, parseExperienceJson } from './parse-experience';
export {
  SceneDeduplicator,
  findNearDuplicateScenes,
  sceneShingles,
  type NearDuplicate,
  type DedupeOptions,
} from './parse-dedupe';
