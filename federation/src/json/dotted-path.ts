/**
 * Dot-separated property paths (`content.m\.relates_to.rel_type`), used by push rule conditions and by filters'
 * `event_fields`.
 * https://spec.matrix.org/v1.19/appendices/#dot-separated-property-paths
 */

/**
 * Splits a path on unescaped dots. `\.` is a literal dot and `\\` a literal backslash; any other escape
 * (`\x`) stays as written, a backslash followed by the character.
 */
export function parseDottedPath(path: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let index = 0; index < path.length; index += 1) {
    const char = path[index] as string;
    const next = path[index + 1];
    if (char === '\\' && (next === '.' || next === '\\')) {
      current += next;
      index += 1;
    } else if (char === '.') {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current);
  return parts;
}
