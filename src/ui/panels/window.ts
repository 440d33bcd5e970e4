/** The slice of a list to show so that the cursor stays visible, and a `3–9 of 20` note when it is cut. */
export function windowOf(
  count: number,
  cursor: number,
  height: number,
): { start: number; end: number; note: string } {
  const h = Math.max(1, height);
  if (count <= h) return { start: 0, end: count, note: '' };
  const start = Math.max(0, Math.min(count - h, cursor - Math.floor(h / 2)));
  const end = start + h;
  return { start, end, note: `${start + 1}–${end} of ${count}` };
}
