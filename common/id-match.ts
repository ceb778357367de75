/**
 * The most ids `scenes/match`, `chat/match`, `jobs/match`, `training/match` and `eval/interviews/match` return for the start of
 * an id: enough to name a few in a message; a start that fits this many fits "this many or more".
 */
export const ID_MATCH_LIMIT = 10;
