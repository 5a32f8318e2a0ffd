import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { amount, monthName } from './format';

export interface MonthTotal {
  readonly month: string;
  /** The API's exact decimal; null: the account had no profile billed that month. */
  readonly total: string | null;
}

const HEIGHT = 220;

/**
 * The account's monthly totals as bars (uPlot), with the same figures in a table for screen readers.
 * The canvas needs numbers: totals are parsed to floats for drawing only, never for arithmetic.
 */
export const MonthlyChart = ({ totals }: { totals: ReadonlyArray<MonthTotal> }) => {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (el === null) return undefined;
    const xs = totals.map((_, i) => i);
    const ys = totals.map((t) => (t.total === null ? 0 : Number(t.total)));
    const bars = uPlot.paths.bars?.({ size: [0.6, 48] });
    const plot = new uPlot(
      {
        width: el.clientWidth,
        height: HEIGHT,
        legend: { show: false },
        cursor: { show: false },
        scales: { x: { time: false, range: [-0.5, totals.length - 0.5] }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
        axes: [
          { values: (_u, splits) => splits.map((i) => monthName(totals[i]?.month ?? '').replace(/^(...)\S* (..)(..)$/, '$1 $3')), space: 40, incrs: [1, 2, 3, 6] },
          { size: 70, values: (_u, splits) => splits.map((v) => v.toLocaleString('en-US')) },
        ],
        series: [{}, { label: 'Total (USD)', fill: '#2f6fb2', stroke: '#2f6fb2', paths: bars, points: { show: false } }],
      },
      [xs, ys],
      el,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: el.clientWidth, height: HEIGHT }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [totals]);
  return (
    <figure class="chart">
      <figcaption>Monthly totals, last {totals.length} months (USD)</figcaption>
      <div ref={box} class="chart-box" aria-hidden="true" style={{ height: `${HEIGHT}px` }} />
      <table class="sr-only">
        <caption>Monthly totals</caption>
        <thead>
          <tr>
            <th scope="col">Month</th>
            <th scope="col">Total (USD)</th>
          </tr>
        </thead>
        <tbody>
          {totals.map((t) => (
            <tr key={t.month}>
              <th scope="row">{monthName(t.month)}</th>
              <td>{t.total === null ? 'nothing billed' : amount(t.total)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
};
