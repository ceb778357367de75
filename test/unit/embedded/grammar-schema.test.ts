import { describe, expect, it } from 'vitest';
import { toGrammarSchema } from '../../../main/core/llm/embedded-grammar';

describe('toGrammarSchema', () => {
  it('turns anyOf into oneOf and inlines a single allOf, at every depth', () => {
    const out = toGrammarSchema({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: {
        a: { anyOf: [{ type: 'string' }, { type: 'null' }] },
        b: { allOf: [{ type: 'array', items: { anyOf: [{ const: 1 }, { const: 2 }] } }], description: 'kept' },
      },
      $defs: { D: { anyOf: [{ type: 'boolean' }] } },
    });
    expect(out).toEqual({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: {
        a: { oneOf: [{ type: 'string' }, { type: 'null' }] },
        b: { type: 'array', items: { oneOf: [{ const: 1 }, { const: 2 }] }, description: 'kept' },
      },
      $defs: { D: { oneOf: [{ type: 'boolean' }] } },
    });
  });

  it('names the place and the fix for what a grammar cannot express', () => {
    expect(() => toGrammarSchema({ type: 'object', properties: { x: {} } })).toThrow(
      /at \$\.properties\.x: the schema does not say what the value is/,
    );
    expect(() => toGrammarSchema({ type: ['string', 'date'] })).toThrow(/unknown type "date"; use one of string/);
    expect(() => toGrammarSchema({ type: 'string', not: { const: '' } })).toThrow(/"not" .* not supported/);
    expect(() => toGrammarSchema({ anyOf: [{ type: 'string' }], oneOf: [] })).toThrow(/either "anyOf" or "oneOf"/);
    expect(() => toGrammarSchema([])).toThrow(/at \$: a schema must be a JSON object/);
  });
});
