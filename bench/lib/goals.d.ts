/** Types of goals.js (plain JavaScript, run by node) for the unit test that imports it. */
export interface AbSummary {
  pairs: number;
  median: number | null;
  min?: number;
  max?: number;
  q1?: number;
  q3?: number;
  spread?: number;
  difference?: number;
  spreadWiderThanDifference?: boolean;
  side?: 'above' | 'below' | 'both';
}
export interface Target {
  name: string;
  value: string;
  goal: string;
  met: boolean | null;
}
export function abSummary(ratios: Array<number | null>): AbSummary;
export function dataPlanes(report: Record<string, unknown>): Record<string, unknown>;
export function goals(
  report: Record<string, unknown>,
  options?: { profiled?: boolean },
): { ratios: Record<string, number | null>; targets: Target[]; notes: string[]; missed: boolean };
