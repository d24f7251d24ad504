/**
 * A Chart.js chart in a React view: created on mount, rebuilt when its config changes.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  ChartConfiguration,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  ScatterController,
  Title,
  Tooltip
} from 'chart.js';
import * as React from 'react';

// Only what the line, bar and scatter charts use, so the bundle stays small.
Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  ScatterController,
  Title,
  Tooltip
);

/** The theme's text and grid colours, so charts read on light and dark themes. */
function themeColors(): { text: string; grid: string } {
  const style = getComputedStyle(document.body);
  return {
    text: style.getPropertyValue('--jp-ui-font-color1').trim() || '#333',
    grid: style.getPropertyValue('--jp-border-color2').trim() || '#ddd'
  };
}

/**
 * A Chart.js chart; its root says what it draws for tests and tools: `data-series` (datasets) and
 * `data-points` (each dataset's point count, comma-separated).
 */
export function ChartView(props: {
  config: ChartConfiguration;
  testid: string;
  label: string;
}): JSX.Element {
  const canvas = React.useRef<HTMLCanvasElement>(null);
  const [series, setSeries] = React.useState(0);
  const [points, setPoints] = React.useState('');
  React.useEffect(() => {
    if (!canvas.current) {
      return;
    }
    const { text, grid } = themeColors();
    Chart.defaults.color = text;
    Chart.defaults.borderColor = grid;
    const chart = new Chart(canvas.current, props.config);
    setSeries(chart.data.datasets.length);
    setPoints(chart.data.datasets.map(d => d.data.length).join(','));
    return () => chart.destroy();
  }, [props.config]);
  return (
    <div
      className="jp-studio-chart"
      data-testid={props.testid}
      data-series={series}
      data-points={points}
      data-type={props.config.type}
      data-label={props.label}
    >
      <canvas ref={canvas} role="img" aria-label={props.label} />
    </div>
  );
}
