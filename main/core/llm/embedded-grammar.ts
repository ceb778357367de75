import type { GbnfJsonSchema } from 'node-llama-cpp';

const JSON_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'null', 'object', 'array']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Rewrites a JSON Schema into the dialect node-llama-cpp turns into a grammar, or throws a
 * message naming the offending location. Needed because node-llama-cpp silently turns what it
 * does not know (`anyOf`, `allOf`, `{}`, an unknown `type`) into a grammar that only allows
 * `null`, which would make every answer fail validation.
 *
 * - `anyOf` becomes `oneOf` (both are plain alternation in a grammar); `allOf` of one schema is
 *   inlined; `not` and `if`/`then`/`else` are refused.
 * - Every value position must say what it holds (`type`, `const`, `enum`, `oneOf`/`anyOf` or
 *   `$ref`).
 * - Keywords without a grammar meaning (`pattern`, `title`, `required`, …) pass through and are
 *   ignored by node-llama-cpp; every listed property is always generated (stricter than
 *   `required`), so output still validates except for `pattern`.
 */
export function toGrammarSchema(schema: unknown, at = '$'): GbnfJsonSchema {
  if (!isPlainObject(schema)) throw new Error(`at ${at}: a schema must be a JSON object`);
  const node: Record<string, unknown> = { ...schema };
  if ('not' in node || 'if' in node) throw new Error(`at ${at}: "not" and "if"/"then"/"else" are not supported`);
  if ('allOf' in node) {
    const all = node.allOf;
    if (!Array.isArray(all) || all.length !== 1)
      throw new Error(`at ${at}: "allOf" is supported only with a single schema`);
    delete node.allOf;
    return toGrammarSchema({ ...node, ...(isPlainObject(all[0]) ? all[0] : {}) }, at);
  }
  if ('anyOf' in node) {
    if ('oneOf' in node) throw new Error(`at ${at}: use either "anyOf" or "oneOf", not both`);
    node.oneOf = node.anyOf;
    delete node.anyOf;
  }

  const type = node.type;
  if (type !== undefined) {
    const types = Array.isArray(type) ? type : [type];
    for (const t of types) {
      if (typeof t !== 'string' || !JSON_TYPES.has(t)) {
        throw new Error(`at ${at}: unknown type ${JSON.stringify(t)}; use one of ${[...JSON_TYPES].join(', ')}`);
      }
    }
  }
  if (type === undefined && !('const' in node) && !('enum' in node) && !('oneOf' in node) && !('$ref' in node)) {
    throw new Error(
      `at ${at}: the schema does not say what the value is; give it a "type", "enum", "const", "anyOf" or "$ref"`,
    );
  }

  const mapRecord = (value: unknown, key: string): unknown => {
    if (!isPlainObject(value)) return value;
    return Object.fromEntries(
      Object.entries(value).map(([name, sub]) => [name, toGrammarSchema(sub, `${at}.${key}.${name}`)]),
    );
  };
  if (Array.isArray(node.oneOf)) node.oneOf = node.oneOf.map((sub, i) => toGrammarSchema(sub, `${at}.anyOf[${i}]`));
  if ('properties' in node) node.properties = mapRecord(node.properties, 'properties');
  if ('$defs' in node) node.$defs = mapRecord(node.$defs, '$defs');
  if (isPlainObject(node.items)) node.items = toGrammarSchema(node.items, `${at}.items`);
  if (Array.isArray(node.prefixItems))
    node.prefixItems = node.prefixItems.map((sub, i) => toGrammarSchema(sub, `${at}.prefixItems[${i}]`));
  if (isPlainObject(node.additionalProperties)) {
    node.additionalProperties = toGrammarSchema(node.additionalProperties, `${at}.additionalProperties`);
  }
  return node as GbnfJsonSchema;
}
