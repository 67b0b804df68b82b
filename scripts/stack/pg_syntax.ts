/**
 * Small pieces of SQL text and of PostgREST's filter syntax, shared by the local REST subset and the
 * local Realtime endpoint (both accept `column=op.value` filters and build SQL from them).
 */

/** A plain SQL identifier as PostgREST and Realtime accept it in a filter or select list. */
export const IDENT = /^[A-Za-z_][A-Za-z0-9_$]*$/;

/** `name` as a quoted SQL identifier (`"my""col"`). */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A Postgres array literal of text values (`{"a","b\"c"}`), for one `text[]` parameter. */
export function textArrayLiteral(values: readonly string[]): string {
  return `{${
    values.map((v) => `"${v.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`).join(",")
  }}`;
}

/** Comparison operators of PostgREST's filter syntax and their SQL. */
export const COMPARISONS: Readonly<Record<string, string>> = {
  eq: "=",
  neq: "<>",
  gt: ">",
  gte: ">=",
  lt: "<",
  lte: "<=",
};

/**
 * Parses an `in` list, `(a,b,"c,d")`, into its values (PostgREST's syntax: double quotes protect
 * commas and parentheses, a backslash escapes the next character). `()` is the empty list.
 * Throws `SyntaxError` naming the problem.
 */
export function parseInList(raw: string): string[] {
  if (!raw.startsWith("(") || !raw.endsWith(")")) {
    throw new SyntaxError(`an "in" filter needs a list in parentheses, got ${raw}`);
  }
  const body = raw.slice(1, -1);
  if (body === "") return [];
  const out: string[] = [];
  let i = 0;
  for (;;) {
    let v = "";
    if (body[i] === '"') {
      i++;
      while (i < body.length && body[i] !== '"') {
        if (body[i] === "\\" && i + 1 < body.length) i++;
        v += body[i++];
      }
      if (i >= body.length) throw new SyntaxError(`unterminated quote in ${raw}`);
      i++;
    } else {
      while (i < body.length && body[i] !== ",") v += body[i++];
    }
    out.push(v);
    if (i >= body.length) return out;
    if (body[i] !== ",") throw new SyntaxError(`expected "," after a quoted value in ${raw}`);
    i++;
  }
}

/**
 * Splits a Realtime filter string on the commas that separate conditions (`a=eq.1,b=in.(2,3)`),
 * ignoring commas inside double quotes or parentheses.
 */
export function splitConditions(filter: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < filter.length; i++) {
    const c = filter[i];
    if (c === "\\" && quoted) i++;
    else if (c === '"') quoted = !quoted;
    else if (!quoted && c === "(") depth++;
    else if (!quoted && c === ")") depth = Math.max(0, depth - 1);
    else if (!quoted && depth === 0 && c === ",") {
      out.push(filter.slice(start, i));
      start = i + 1;
    }
  }
  out.push(filter.slice(start));
  return out;
}
