/**
 * Escaping for the report: text and attributes in HTML, and JSON embedded in `<script>` elements.
 * Every string that comes from a scenario or a results file passes through one of these.
 *
 * @module
 */

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/**
 * Escapes text for HTML element content and quoted attribute values.
 *
 * @param value Any value; it is converted with `String()` first.
 * @returns The text with `& < > " '` replaced by character references.
 * @example
 * ```ts
 * import { escapeHtml } from "./escape.ts";
 * if (escapeHtml(`<b a="1">&`) !== "&lt;b a=&quot;1&quot;&gt;&amp;") throw new Error();
 * ```
 */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/**
 * Serializes a value as JSON that is safe inside a `<script>` element: `<`, `>` and `&` become
 * `\u003c`, `\u003e` and `\u0026` (so no `</script>` or `<!--` can appear), and the line
 * separators U+2028 and U+2029 are escaped too. `JSON.parse` of the element's text gives the value
 * back.
 *
 * @param value A JSON-serializable value.
 * @returns JSON text without `<`, `>` or `&`.
 * @example
 * ```ts
 * import { jsonForScript } from "./escape.ts";
 * const text = jsonForScript({ name: "</script><script>alert(1)</script>" });
 * if (text.includes("<") || JSON.parse(text).name[0] !== "<") throw new Error(text);
 * ```
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/**
 * Checks that a script's source can be inlined in a `<script>` element unchanged: it must not
 * contain `</script` or `<!--`, which would end or confuse the element.
 *
 * @param source JavaScript source text.
 * @param what Name of the script, for the error message.
 * @returns The source, unchanged.
 * @throws {SyntaxError} When the source contains either sequence.
 */
export function checkInlineScript(source: string, what: string): string {
  const bad = /<\/script|<!--/i.exec(source);
  if (bad) {
    throw new SyntaxError(
      `Cannot inline ${what} as it contains "${bad[0]}" at offset ${bad.index}`,
    );
  }
  return source;
}
