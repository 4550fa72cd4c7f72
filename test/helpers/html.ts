/** HTML character references back to characters (those a Handlebars escape writes, and numeric ones): text as a browser reads it. */
export function decodeEntities(text: string): string {
  return text
    .replace(/&#x([0-9a-f]+);/gi, (_, hex: string) => String.fromCodePoint(Number.parseInt(hex, 16)))
    .replace(/&#(\d+);/g, (_, dec: string) => String.fromCodePoint(Number(dec)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
}

/** The text of the report's section with this id: from `id="ID"` to its `</section>`, tags dropped, white space folded (entities left as written). */
export function sectionText(html: string, id: string): string {
  const start = html.indexOf(`id="${id}"`)
  return html
    .slice(start, html.indexOf('</section>', start))
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
}
