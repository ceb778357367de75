import { STUDIO_VERSION } from '../core/version';

/** `character-studio --help`: every command with its options (options.ts parses them), printed as it is. */
export const USAGE = `Character Studio ${STUDIO_VERSION}

Usage: character-studio <command> [options]

Commands:
  serve                         Run the studio as a local web app (prints its address)
      --host <addr>             Interface to bind (default 127.0.0.1)
      --port <n>                Port (default 5757; 0 picks a free one)
  info                          Show the version and where data lives
  db check                      Check every page of the studio database (opening does so only
                                after an unclean shutdown); exit code 1 when it is damaged
  characters list               List characters
  characters create "<full name>" [--short-name <name>] [--era <text>] [--notes <text>]
                                Create a character (the name may also come as --full-name). The
                                short name (the speaker label) is the full name's last word
                                unless given
  characters update <character> Change a character (same options as create)
  characters delete <character> [--yes]
                                Delete a character and everything made from it (asks first;
                                without a terminal, --yes says so)
  profiles import <character> <file.txt|.md|.docx|.epub|.pdf|->
                                Add a profile from a file or standard input ('-')
      [--title <title>]
  profiles wikipedia <character> <title|url> [--lang <code>] [--title <title>]
                                Add a profile from a Wikipedia article (any language edition: a URL's
                                host decides, else --lang, default en), through the MediaWiki API;
                                redirects followed, sections kept as headings; its URL, revision and
                                licence are recorded with the profile
  profiles show <character>     Show a character's profiles and chunks
  profiles chunk <character> <chunk>
                                A chunk in full (<chunk>: its number as profiles show prints it;
                                <profile>.<chunk> when the character has several profiles)
  profiles edit <character> <chunk> <file|->
                                Replace a chunk's text (the Profile tab's edit)
  profiles split <character> <chunk> --at "<words>"
                                Split a chunk before the first place those words start
  profiles merge <character> <chunk>
                                Merge a chunk with the one after it
  profiles delete-chunk <character> <chunk> [--yes]
  profiles rename <character> <profile> --title "<title>"
                                (<profile>: its number or title)
  profiles delete <character> <profile> [--yes]
                                Delete a profile and its chunks (scenes made from it stay)
  card import <file.png|file.json|file.charx> [--character <character>]
                                Import a character card (V1, V2, V3; PNG, JSON or CHARX) as a new
                                character with its profile and picture, or into --character
  card export <character> --format <v2-png|v3-png|v2-json|v3-json> --out <file|folder>
      [--run <id>]              Write the character as a card for chat apps; with --run (a finished
                                run, V3 only) a trained card naming the run's adapter or GGUF files
                                (with sha256), base model, training format and sampling settings
  samples list                  The sample characters shipped with the studio
  models list                   Small GGUF models to download for the embedded runtime (name, size,
                                licence, what each is good for, URL) and the models on this computer
  models download <id>          Download one (progress on stderr; sha256 checked against the list's pin
                                or the host's, see README). Ctrl+C stops it and keeps what it fetched
                                (exit code 130); the same command later continues from there
  models add <file.gguf>        Use a .gguf already on this computer (checked, not copied)
  models remove <id> [--yes]    Forget a model (a downloaded file is deleted)
  samples load <sample>         Add a sample character (profile and scenes written by the studio's
                                authors) to look at every screen before spending anything
  providers list                List LLM providers
  providers add                 Add a provider
      --name <name> --preset <openai|ollama|lmstudio|llamacpp|vllm|openrouter|custom|embedded>
      [--base-url <url>] [--model <id>] [--model-path <file.gguf>] [--api-key <key|env:NAME>]
      [--concurrency <n>] [--rpm <n>] [--timeout-ms <n>] [--text-output]
  providers update <provider>   Change a provider: only the options given (as for add; --api-key ""
                                removes the stored key, --text-output turns structured output off,
                                --structured-output back on)
  providers delete <provider> [--yes]
                                Forget a provider and its stored API key
  providers prices              The price table costs are counted with (US$ per million tokens)
  providers price <model> --prompt-price <usd> --completion-price <usd>
                                Set a model's price (per million prompt and completion tokens)
  providers test <provider>     Check the connection and list the models
  providers test --preset <p> [--base-url <url>] [--model <id>] [--api-key <key|env:NAME>]
                                Try a provider before adding it; without --model it lists the models
  generate <character>          Build scenes, experiences and protective experiences
      --provider <provider> [--target <scenes>] [--per-call <n>] [--protective <share 0-0.2>]
      [--temperature <t>] [--top-p <p>] [--max-tokens <n>] [--budget <usd>] [--estimate]
      [--preset studio|paper]   paper: the paper's own runs (100 calls of 20 scenes, every chunk
                                repeated then drawn by length with seed 42, one protective scene
                                per chunk); it sets --target, --per-call and --protective itself.
      [--more <n>]              Add n scenes to what the character has (the target is its total)
      [--yes] [--confirm-above <usd>]
                                Go ahead when the estimate is above the cost that asks first ($1)
                                Resumes the character's paused, interrupted or failed job if there
                                is one (--budget then raises its budget; another provider or
                                target is refused: cancel the job to start anew); options not given
                                keep the character's last values. A met target does nothing.
                                Progress goes to stderr; Ctrl+C pauses (run again to resume).
                                Exit code 3 when the job ends paused (a budget, an outage).
  limits <character> [list]     What the character cannot know (protective scenes press on these),
                                numbered; the Generate tab's list
  limits <character> set <file|->
                                Replace the list with the file's lines (one each; blank lines dropped)
  limits <character> add "<text>" | delete <n,m>
                                Add one, or delete by the numbers list prints
  limits <character> generate --provider <provider>
                                Ask the provider for the list from the era and the profile (replaces it)
  prompts <character> [list]    Each stage's prompt (limits, scenes, experiences, protective): its
                                version, custom or built-in, and the placeholders it may use
  prompts <character> show <stage>
                                A stage's system prompt and template in full
  prompts <character> set <stage> --template <file|-> [--system <file>]
                                Save a custom version for this character (the system prompt stays as
                                it is without --system); every call records the version it used
  prompts <character> reset <stage>
                                Go back to the built-in prompt (the custom versions stay on record)
  jobs list <character> [--kind generation|regenerate|interview|judge] [--status <status>]
                                The character's jobs, newest first: id, kind, status, items done,
                                cost, when started, and why it stopped
  jobs show <job>               Its stages, tokens, cost, budget, latest failures and noted items
                                (<job>: its id or a unique start of it)
  jobs pause <job> | jobs cancel <job>
                                Also a job that serve or another terminal runs: that process stops it
                                within a second (this waits for it); cancelled work stays written
  jobs resume <job>             Go on where it stopped, here, with progress; Ctrl+C pauses
  jobs retry <job> [<item>]     Give failed items (or one) fresh attempts and run the job here
  jobs budget <job> <usd|none>  Change the spending cap of a stopped job (then resume it)
  dataset stats <character>     Totals of the character's scenes, format problems, and its charts as
                                text: scenes per stage and per profile chunk, turns per scene, words
                                per turn, tokens per example, speakers, thinking versus speaking
  dataset compare               Every character side by side (scenes, words, turns per scene), with
                                the paper's figures
  dataset problems <character>  List the experiences with parts that did not fit the format
  dataset complete <character> --provider <provider>
                                Write the experience of every scene still waiting for one (one
                                generation job; rejected scenes are skipped)
  dataset delete <character> --ids <a,b> [--yes]
                                Delete scenes (with their experiences)
  scenes list <character>       The Dataset tab's list, a page at a time (search words marked «»)
      [--search <words>] [--kind normal|protective|hand|chat_correction] [--status …] [--rating …] [--with-tag …]
      [--speaker <name>] [--chunk <id>] [--prompt-version <v>] [--model <m>] [--problems]
      [--waiting] [--min-turns <n>] [--max-turns <n>]
      [--sort oldest|newest|turns|words|rating|chunk] [--limit <1-500>] [--after <cursor>]
                                --after takes the "More:" cursor (JSON: "next") of the page before
  export <character…> --format <paper|sharegpt|openai|alpaca|hf> --out <folder>
                                Write the accepted and unreviewed scenes for other tools: the paper's
                                SFT lines (byte for byte), ShareGPT, OpenAI chat, Alpaca, or a Hugging
                                Face dataset folder; axolotl.yaml and dataset_info.json (LLaMA-Factory)
                                beside them. The folder must be new, empty or an earlier export.
      [--split <train share, e.g. 0.95>] [--seed <n>] [--kinds normal,protective,hand,chat_correction]
      [--include-problems]      Scenes with format problems are left out unless given
      [--licence <spdx id>]     The Hugging Face card's licence (default: other)
  import-dataset <character> <file|folder> [--format <auto|paper|sharegpt|openai|alpaca|hf|
                                paper-dialogue|paper-scenes>]
                                Add scenes from a dataset file (or the paper's generated JSON files);
                                all or nothing, each scene keeping its file and line
  report <character> [--systems <a,b…>] [--topics <topic-1,…>] [--mode single|multi]
      [--judge <provider>[/<model>]] [--seed <n>] [--csv <file>] [--html <file>]
                                Per system and dimension the mean score, its 95% bootstrap interval
                                and the count, single- and multi-turn apart; a system without
                                scores shows as such. Each judge's means are shown apart, never
                                averaged; --judge reads one judge's verdicts, named as judge takes it
                                (a bare judge model still works when unambiguous). Pairwise
                                comparisons follow: A wins, ties, B wins per dimension (a win needs
                                both orders; a split pair is a tie). --csv writes one row per cell
                                and comparison, --html one self-contained file with its charts
  report <character> --compare <before>,<after> [--mode single|multi]
                                What changed between two systems (two runs of a character): per
                                dimension both intervals and the change, the questions that moved most
  import-outputs <folder|file…> [--map <Short>=<character> …] [--dry-run]
                                The paper's released interview outputs (its gen_results folder,
                                {Short}_{system}_result folders, or Beethoven_sft.json-style files)
                                as imported systems, judged and reported like our own. Names that
                                match no character are listed, not guessed (exit code 1): map them
  scenes show <scene>           Show a scene as the editor has it, with its current revision
                                (<scene>: its id as \`scenes list\` prints it, or a unique start of it)
  scenes history <scene>        List a scene's revisions: when, by whom (generated, by hand, LLM)
  scenes provenance <scene> [--scene-call|--experience-call] [--indent]
                                Where a scene came from (the Dataset tab's Provenance): its origin,
                                then every attempt of the LLM calls that wrote the scene and its
                                experience: provider, model, tokens, latency, cost, the prompt's
                                messages and the answer as received (--indent: JSON indented)
  scenes diff <scene> [--from <n|original>] [--to <n|current>]
                                Word-level diff of two revisions ([-removed-] {+added+})
  scenes proposals <scene>      LLM rewrites kept aside because the scene was saved while their call
                                was out (the History's Proposals), newest first, numbered from 1
  scenes diff <scene> --proposal <n>
                                What proposal n would change in the current revision
  scenes adopt <scene> [--proposal <n>]
                                Make a proposal the scene's next revision (the one waiting, if only one)
  scenes restore <scene> --revision <n>
                                Make an earlier revision current again (as a new revision)
  scenes edit <scene> <file.json|-> [--on-conflict mine|theirs|new]
                                Save an edit as the next revision: a scene document as for create,
                                or what scenes show <scene> --json prints. If the scene changed since
                                it was shown, nothing is overwritten: their changes are shown and a
                                terminal asks: keep mine (saved over theirs, which stays in the
                                history), take theirs (save nothing) or save mine as a new scene;
                                without a terminal, --on-conflict decides (else nothing is saved)
  scenes regenerate <scene…> --instruction "<what to change>" [--turn <n>] [--provider <provider>]
                                Rewrite the experience (or turn n) through the LLM, as a new
                                revision; a scene edited meanwhile keeps the edit and gets the
                                rewrite as a proposal. Provider: the character's last job's.
  scenes regenerate --character <character> <filter options of review> --instruction "…" --yes
                                The same for every scene of the filter, as one job
  scenes create <character> <file.json|->
                                Add a scene written by hand: {"type", "location", "time",
                                "background", "people", "experienceBackground", "turns"}
  scenes duplicate <scene>      Copy a scene as a new one written by hand (its current text), to
                                edit into a variant; prints the copy's id
  scenes delete <scene…> [--yes]
                                Delete scenes with their experiences and history (ids, or unique
                                starts of them). Every delete names what it deletes and asks first
                                (No unless you answer y); without a terminal, --yes says so
  review <character>            Counts per review status, rating and tag (of the filter below)
      [--accept|--reject|--unreview] [--rate <1-5|none>] [--tag <tag>] [--untag <tag>]
                                Change the review of the chosen scenes in one undoable action;
                                rejected scenes never reach training
      --ids <a,b> | --all | [--status unreviewed|accepted|rejected] [--rating <1-5|none>]
      [--with-tag <tag>] [--kind normal|protective|hand|chat_correction] [--problems] [--waiting] [--search …]
                                Which scenes: by id, all of them, or every scene of the filter
  review <character> --undo     Take back the last review action (again for the one before)
  hosts list                    List SSH hosts for remote training
  hosts add                     Add an SSH host (a GPU server)
      --name <name> --host <addr> --user <name> [--port <n>] [--key <private key file>]
      [--python <remote interpreter>] [--remote-root <dir>] [--gpus <n>]
                                Without --key the SSH agent logs in (keys with a passphrase: use the agent).
  hosts test <host>             Log in and check the trainer there; shows the host key to trust
  hosts trust <host> --fingerprint <SHA256:…>
                                Trust the host's key, only if it still has that fingerprint
  hosts delete <host> [--yes] [--force]
                                Remove an SSH host; refused while runs train there, unless --force
                                (they go on training there, out of reach: cancelling one ends it here only)
  train <character>             Fine-tune a model on the character's scenes (LoRA by default)
      --base-model <hf-id|folder> [--format chat|character-llm] [--python <interpreter>]
      [--host <ssh host>]       Train on an SSH host (see hosts add) instead of this machine
      [--epochs <n>] [--lr <rate>] [--rank <n>] [--batch <n>] [--max-length <tokens>]
      [--max-steps <n>] [--full] [--qlora] [--dtype auto|bf16|fp16|fp32]
      [--preset lora|trial|qlora|paper]  Start from a preset; the options above override it.
      [--new]                   Start a new run even when one could be resumed
                                Run again, it resumes the character's stopped or interrupted run (with
                                that run's settings); another base model, format or host starts a new one.
                                Ctrl+C saves a checkpoint and stops (run again to resume).
  train preview <character> --scene <id> --base-model <folder|hf-id>
      [--format chat|character-llm] [--max-length <tokens>] [--thinking keep|drop]
      [--python <interpreter>]  Show a scene exactly as training takes it (the trainer's own code,
                                tokenizer only): [trained tokens] in brackets, a line where max_length
                                cuts. A hub id must be in the local Hugging Face cache (no download).
  train list <character>        The character's runs, newest first: id, status, step, last loss, started,
                                base model, format, where it trains, and what was exported
  train show <run>              A run as its card shows it: settings, progress, losses (first, last,
                                lowest; eval), warnings, message, how many log lines are kept, and files
                                (<run>: its id as train list prints it, or a unique start of it)
  train log <run> [--lines <n>] [--follow]
                                The trainer's log of the run (a failed run's traceback), whichever process
                                trained it: the first 200 and last 5,000 lines are kept; --lines the last
                                n; --follow prints new lines as they are stored until the run ends (Ctrl+C);
                                --json --follow prints each line as {"seq", "line"}, one per output line
  train stop <run>              The run card's Stop: saves a checkpoint and stops (resume continues). A run
                                another studio process trains (the desktop app, serve, train in another
                                terminal) is asked there and stops within a second; one whose process died
                                becomes interrupted. A run on an SSH host that no studio window follows
                                is stopped there over SSH and followed by this command until it has
                                stopped and its checkpoint is home (host lost: interrupted, exit 1)
  train cancel <run>            Cancel a run for good; a live one is cancelled by its process, as with stop
                                (on an SSH host with no window following it: killed there over SSH)
  train export <run> --merged | --gguf [--ollama-name <name>]
                                Export a finished run here: --merged writes the base model with the
                                adapter merged in and an Ollama Modelfile; --gguf also converts it (and a
                                LoRA adapter) to GGUF, offline. Progress on stderr, then the files;
                                Ctrl+C cancels (what was half-written is removed; exit code 130)
  train setup [--python <base interpreter>]
                                Create (or bring up to date) the studio's own Python environment for
                                the trainer in the data folder, from the pinned requirements (needs
                                Python 3.10+ and PyPI the first time; minutes); pip's lines on stderr,
                                then the doctor's verdict. --python: the Python it is created with
  chat-server <character> [--run <id>]
                                Serve the character's latest finished run over the OpenAI protocol
                                on 127.0.0.1 for chat apps; prints the base URL and model. Ctrl+C stops.
                                A model this studio serves already is stopped first, and named.
  chat-gguf <character> [--run <id>]
                                Convert the character's latest finished run (or --run) for the embedded
                                chat runtime: the base model (unmerged, once per base model) and the LoRA
                                adapter to GGUF, offline, with the llama.cpp converters node-llama-cpp
                                ships (needs git and the trainer's Python; LLAMA_CPP_DIR: your own
                                llama.cpp). Prints the files; Ctrl+C cancels.
  chat <character>              Chat with a trained run (or a baseline) in the terminal; stored
                                as a conversation like the Chat tab's. /regen, /thoughts, /quit;
                                /continue goes on from a reply stopped or cut off (same message);
                                /edit <text> rewrites its last reply, /correct sends the rewrite to
                                the dataset (a chat correction); /alt lists the last reply's
                                alternatives with their first words, /alt <n> shows alternative n
                                (the Chat tab's ‹ 2 / 3 ›);
                                Ctrl+C stops a reply, twice exits.
      [--run <id> | --provider <provider> [--model <id>]]
      [--runtime embedded|served|endpoint] [--conversation <id> [--at <message>]] [--title <text>]
                                --at: go on from that message's branch (chat list --query finds it)
      [--scene <scene> | --location "<place and time>" --status "<what is going on>"]
      [--as "<who you are>"]    The speaker name of your messages (default: the paper's interviewer
                                "Man", or a --scene's other person)
      [--temperature <t>] [--top-p <p>] [--max-tokens <n>] [--seed <n>] [--never-end]
      [--message "<text>" --json]
                                One reply for scripts: prints {conversationId, reply}
      [--conversation <id> --continue [--json]]
                                More of its last reply, stopped or cut off, in the same message
                                (exit code 1 when cut off again)
  chat show <conversation> [--alt <message>:<n> | --alt <alternative id>]
                                The path shown, numbered, with each message's alternatives
                                (‹ 2 / 3 ›, their ids and first words); --alt shows another one and what
                                followed it, as the Chat tab's arrows do
  chat update <conversation>    Change what the next replies are made with (the replies written
                                keep what made them):
      [--title <text>] [--run <id> | --provider <provider> [--model <id>]]
      [--runtime embedded|served|endpoint]
      [--scene <scene> | --location "<place and time>" --status "<what is going on>"]
      [--as "<who you are>"]    From your next message on (--as "": "Man" again)
      [--temperature <t>] [--top-p <p>] [--max-tokens <n>] [--seed <n>|random]
      [--never-end | --may-end]
                                --never-end: the model may not end a reply (ban of the end-of-text
                                token; endpoints get ignore_eos, which llama.cpp server and vLLM
                                honour): it runs to --max-tokens or Ctrl+C. --may-end: as before.
  chat list <character> [--query <words>]
                                The character's conversations (full-text search with --query: the
                                message found, its place, and whether it is on the branch shown)
  chat export <conversation> [--format markdown|json] [--output <file>]
  chat delete <conversation> [--yes]
  doctor [--python <interpreter>]  Check the trainer's Python environment
  questions <character> [list]  The character's question sets for interviews (the Evaluate tab)
  questions <character> show <set> [--version <n>]
                                A set's questions (numbered), at its current or an older version
                                (<set>: its name, its id as list prints it, or a unique start of it)
  questions <character> create --name <name> [--from <file|->] [--topic <id>] [--mode single|multi]
                                A set of your own: empty (then edit --add), or from plain text, one
                                question a line; a line may start with a tag, [topic-2] or
                                [topic-2, goal] (a multi-turn goal), else --topic (default topic-1)
                                and --mode (default single) say; blank and # lines are skipped
  questions <character> import <file|-> [--mode single|multi] [--name <name>] [--set <set>]
                                The paper's question files as they are (generated_agent_interview_*.json;
                                …_for_multiturn_… are multi-turn goals), or a .txt file read as create
                                --from reads it; --set adds them to a set
  questions <character> generate [--provider <p>] [--model <m>] [--per-topic <n>] [--goals <n>]
                                Write questions from the profile (the paper's three topics, 10 each by
                                default; --goals: multi-turn goals per topic) plus the 5 anachronism probes
  questions <character> edit <set> [--add "<text>" [--topic <id>] [--mode single|multi] [--at <n>]]
      [--delete <n,m>] [--reword <n> --text "<text>"] [--move <n> --to <m>] [--name <new name>]
                                Change a set; every save is a new version, older ones stay readable
  questions <character> archive <set>
                                Hide a set from the lists; interviews that used it keep its questions
  interview <character> --system <name[,name…]> --set <set> [--version <n>] [--mode single|multi]
      [--rounds <n>] [--provider <interviewer>] [--model <interviewer model>] [--budget <usd>]
                                Interview systems on a question set as one job: single-turn, each
                                question in a fresh conversation in the paper's coffee shop; multi-turn,
                                an LLM interviewer (temperature 0.2) pursues each goal for 5 rounds.
                                Progress goes to stderr; Ctrl+C pauses; run again to resume (each
                                interview goes on at the round it was in). --version asks an earlier
                                version of the set, so scores stay comparable to the runs that asked it.
  interview <character> systems List the systems interviews are put to
  interview <character> add-system --kind run|base|prompted [--run <id>]
      [--runtime embedded|served|endpoint] [--provider <p>] [--model <m>] [--name <label>]
      [--temperature <t>] [--top-p <p>] [--max-tokens <n>]
                                run: a trained run; base: a plain model with the setting only;
                                prompted: a plain model with a role-play prompt built from the profile
  interview <character> archive-system <system>
                                Hide a system from the lists and the report; its interviews and
                                judgments are kept (an imported one can then be imported again)
  interview <character> list [--set <set>] [--system <name>] [--mode single|multi]
  interview <character> show <interview> [--reasoning]
                                A transcript, the character's thoughts apart from its speech, and
                                the judge's scores (--reasoning: with the judge's reasoning)
                                (<interview>: its id as list prints it, or a unique start of it;
                                a system, too, is named by its label, id or the start of its id)
  judge <character>             Score the character's finished interviews with an LLM judge, one call
                                at temperature 0 per interview and dimension (memorization, values,
                                personality, hallucination; stability on multi-turn ones). A score that
                                cannot be read is asked again (--retries, default 2), then left unscored.
                                Resumes a paused or interrupted judge job; Ctrl+C pauses.
      [--systems <a,b>]         Systems to score (labels or ids; default: all with finished interviews)
      [--judge <provider>[/<model>]]
                                The judge (default: the provider of the character's last job, else
                                the only provider; its model)
      [--pairwise <a,b>]        Compare two systems question by question, each pair in both orders;
                                prints win rates with 95% Wilson intervals (alone unless --systems)
      [--dimensions <d1,d2>] [--mode single|multi] [--retries <0-5>] [--budget <usd>]

Options for every command:
  --data-dir <dir>              Data folder (default: CHARACTER_STUDIO_HOME or the desktop app's folder)
  --json                        Machine-readable output on stdout
  -h, --help                    Show this help

<character> is an id, a full name or a short name. Paths (files, folders, --python, --key,
--model-path, --base-model, --data-dir) are relative to the current folder; ~/ is your home.
CHARACTER_STUDIO_THREADS=<n> runs the studio's own models (embedded chat and provider) on n CPU
threads instead of every core.`;
