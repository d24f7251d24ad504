/**
 * A parallel-coordinates chart in plain SVG (Chart.js has none): one vertical axis per dimension,
 * one polyline per item through its value on each axis. A numeric axis spans its domain (linear or
 * log); a categorical axis spaces its categories evenly.
 */
import * as React from 'react';

import { formatValue } from '../../format';

export interface IParallelAxis {
  name: string;
  /** A numeric axis: its domain (min < max after padding), log-scaled when `log` (min > 0). */
  numeric?: { min: number; max: number; log?: boolean };
  /** A categorical axis: its categories, bottom to top. */
  categories?: unknown[];
}

export interface IParallelLine {
  key: string;
  /** One value per axis (null: off the chart on that axis, the line skips it). */
  values: unknown[];
  color: string;
  /** Drawn on top and thicker. */
  highlight?: boolean;
  /** The tooltip. */
  title: string;
}

const HEIGHT = 260;
const PAD_TOP = 28;
const PAD_BOTTOM = 36;
const AXIS_GAP = 220;
const PAD_SIDE = 90;

/** Where `value` sits on the axis, 0 (bottom) to 1 (top); null when it is not on it. */
export function axisPosition(axis: IParallelAxis, value: unknown): number | null {
  if (axis.categories) {
    const index = axis.categories.findIndex(c => String(c) === String(value));
    if (index < 0) {
      return null;
    }
    return axis.categories.length === 1 ? 0.5 : index / (axis.categories.length - 1);
  }
  if (axis.numeric && typeof value === 'number' && Number.isFinite(value)) {
    const { min, max, log } = axis.numeric;
    if (log && min > 0 && value > 0) {
      return (Math.log(value) - Math.log(min)) / (Math.log(max) - Math.log(min));
    }
    return max === min ? 0.5 : (value - min) / (max - min);
  }
  return null;
}

/** A tick's number, short (the tooltips give the full values). */
function tickText(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(3)));
}

/** The labels of an axis: its categories, or its ends and middle. */
function ticks(axis: IParallelAxis): { at: number; label: string }[] {
  if (axis.categories) {
    return axis.categories.map(c => ({
      at: axisPosition(axis, c) ?? 0,
      label: formatValue(c)
    }));
  }
  if (!axis.numeric) {
    return [];
  }
  const { min, max, log } = axis.numeric;
  const middle = log && min > 0 ? Math.sqrt(min * max) : (min + max) / 2;
  return [min, middle, max].map(v => ({ at: axisPosition(axis, v) ?? 0, label: tickText(v) }));
}

export function ParallelCoordinates(props: {
  axes: IParallelAxis[];
  lines: IParallelLine[];
  testid: string;
  label: string;
}): JSX.Element {
  const { axes, lines } = props;
  const width = PAD_SIDE * 2 + AXIS_GAP * Math.max(axes.length - 1, 1);
  const x = (i: number) => PAD_SIDE + i * AXIS_GAP;
  const y = (at: number) => PAD_TOP + (1 - at) * (HEIGHT - PAD_TOP - PAD_BOTTOM);
  // The highlighted line last, so it is drawn over the others.
  const ordered = [...lines].sort((a, b) => Number(!!a.highlight) - Number(!!b.highlight));
  return (
    <svg
      className="jp-studio-parallel"
      data-testid={props.testid}
      data-axes={axes.length}
      data-lines={lines.length}
      viewBox={`0 0 ${width} ${HEIGHT}`}
      width={width}
      height={HEIGHT}
      role="img"
      aria-label={props.label}
    >
      {ordered.map(line => {
        const points = axes
          .map((axis, i) => {
            const at = axisPosition(axis, line.values[i]);
            return at === null ? null : `${x(i)},${y(at)}`;
          })
          .filter(p => p !== null);
        return (
          <polyline
            key={line.key}
            className={`jp-studio-parallel-line${line.highlight ? ' jp-mod-highlight' : ''}`}
            data-testid="parallel-line"
            data-key={line.key}
            points={points.join(' ')}
            stroke={line.color}
            fill="none"
          >
            <title>{line.title}</title>
          </polyline>
        );
      })}
      {axes.map((axis, i) => (
        <g
          key={axis.name}
          className="jp-studio-parallel-axis"
          data-testid="parallel-axis"
          data-axis={axis.name}
        >
          <line x1={x(i)} x2={x(i)} y1={y(0)} y2={y(1)} />
          <text className="jp-studio-parallel-name" x={x(i)} y={PAD_TOP - 12} textAnchor="middle">
            {axis.name}
          </text>
          {ticks(axis).map(tick => (
            <text
              key={`${tick.label}-${tick.at}`}
              className="jp-studio-parallel-tick"
              x={x(i) + 5}
              y={y(tick.at) + 4}
            >
              {tick.label}
            </text>
          ))}
        </g>
      ))}
    </svg>
  );
}
