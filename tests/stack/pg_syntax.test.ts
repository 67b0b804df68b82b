/** PostgREST's filter syntax as the local REST subset and Realtime endpoint read it. */

import assert from "node:assert/strict";
import {
  parseInList,
  quoteIdent,
  splitConditions,
  textArrayLiteral,
} from "../../scripts/stack/pg_syntax.ts";

Deno.test("in lists: plain and quoted values, escapes, the empty list; bad lists are refused", () => {
  assert.deepEqual(parseInList("(1,2,3)"), ["1", "2", "3"]);
  assert.deepEqual(parseInList('(a,"b,c","d\\"e",)'), ["a", "b,c", 'd"e', ""]);
  assert.deepEqual(parseInList("()"), []);
  assert.throws(() => parseInList("1,2"), /needs a list in parentheses/);
  assert.throws(() => parseInList('("open)'), /unterminated quote/);
  assert.throws(() => parseInList('("a"b)'), /expected ","/);
});

Deno.test("filter conditions split on top-level commas only", () => {
  assert.deepEqual(splitConditions('symbol=eq.BTC,id=in.(1,2),name=eq."a,b"'), [
    "symbol=eq.BTC",
    "id=in.(1,2)",
    'name=eq."a,b"',
  ]);
});

Deno.test("identifiers and text arrays are quoted for SQL", () => {
  assert.equal(quoteIdent('we"ird'), '"we""ird"');
  assert.equal(textArrayLiteral(["a", 'b"c', "d\\e"]), '{"a","b\\"c","d\\\\e"}');
});
