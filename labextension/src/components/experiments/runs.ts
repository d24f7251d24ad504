/**
 * What the run views share: a run's display name and the colours of compared runs.
 */

/** Colours of the compared runs, in order (legible on light and dark themes). */
export const SERIES_COLORS = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf'
];

export function runLabel(run: { name: string | null; run_id: string }): string {
  return run.name || run.run_id.slice(0, 8);
}
