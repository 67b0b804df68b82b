/** Small HTML helpers shared by the report pages. */

/** Escapes text for HTML element content and attribute values. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * A table from rows (header first, every cell escaped); `cls` is the table's class and `rowAttrs(i)`
 * adds attributes to body row i (e.g. ` data-trade="3"`).
 */
export function tableHtml(rows: string[][], cls = "", rowAttrs?: (i: number) => string): string {
  const [head, ...body] = rows;
  const th = head.map((h) => `<th>${esc(h)}</th>`).join("");
  const trs = body.map((r, i) =>
    `<tr${rowAttrs ? rowAttrs(i) : ""}>${r.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`
  ).join("\n");
  return `<table${
    cls ? ` class="${cls}"` : ""
  }><thead><tr>${th}</tr></thead><tbody>\n${trs}\n</tbody></table>`;
}
