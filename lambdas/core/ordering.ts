/** The contract's text order, shared by every flow that sorts names or keys. */

/**
 * Compares text by Unicode code points after NFC normalisation: the contract's name order.
 * Not localeCompare (it depends on the runtime's ICU data) and not `<` on strings (UTF-16 code
 * units put characters above U+FFFF before U+E000–U+FFFF).
 */
export function compareCodePoints(a: string, b: string): number {
  const x = a.normalize('NFC');
  const y = b.normalize('NFC');
  let i = 0;
  while (i < x.length && i < y.length) {
    const cx = x.codePointAt(i) ?? 0;
    const cy = y.codePointAt(i) ?? 0;
    if (cx !== cy) return cx < cy ? -1 : 1;
    // Equal code points have equal lengths, so one index walks both strings.
    i += cx > 0xffff ? 2 : 1;
  }
  return Math.sign(x.length - y.length);
}
