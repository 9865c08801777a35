// Escaping for every string that came from a model, a file path, a target note or a
// diagnostic. HTML text and attributes share one function; Markdown has its own.

const HTML: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Safe in HTML/SVG text and in double- or single-quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML[c] ?? c);
}

/** Safe as inline Markdown text and inside a table cell: line breaks become spaces,
 *  HTML-significant characters become entities (Markdown passes raw HTML through), and
 *  Markdown punctuation is backslash-escaped so names cannot open code spans, links,
 *  emphasis or new table columns. Callers never put such text at the start of a line,
 *  so line-start markers (#, -, +, 1.) need no escape. */
export function escapeMarkdown(s: string): string {
  return s
    .replace(/\r\n|[\r\n\u2028\u2029]/g, ' ')
    .replace(/[&<>"']/g, (c) => HTML[c] ?? c)
    .replace(/[\\`*_[\]|~]/g, (c) => `\\${c}`);
}
