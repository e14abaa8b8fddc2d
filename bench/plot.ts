// The scaling plot of `bench scale` as SVG, drawn by Vega (rendered headless: no browser, no canvas):
// left, the time to have N containers running (berth apply vs docker-compose up -d); right, the
// daemons' resident memory with N running (berth's daemon vs dockerd+containerd).
import { writeFileSync } from 'node:fs';
import * as vega from 'vega';

export interface ScaleRow {
  n: number;
  berthApplyMs: number;
  composeUpMs: number;
  berthRssMiB: number;
  dockerRssMiB: number;
  monitorRssKiB: number;
  metricsMs: number;
  dockerStatsMs: number;
}

const W = 360;
const H = 260;

/** One line chart (group mark) of `table`'s points whose `chart` is `name`, at x offset `x`. */
function chart(name: string, title: string, yTitle: string, x: number): vega.GroupMark {
  return {
    type: 'group',
    encode: { enter: { x: { value: x }, width: { value: W }, height: { value: H } } },
    title: { text: title },
    data: [{ name: `${name}-points`, source: 'table', transform: [{ type: 'filter', expr: `datum.chart === '${name}'` }] }],
    scales: [
      { name: 'x', type: 'linear', domain: { data: `${name}-points`, field: 'n' }, range: [0, W], nice: true, zero: true },
      { name: 'y', type: 'linear', domain: { data: `${name}-points`, field: 'value' }, range: [H, 0], nice: true, zero: true },
    ],
    axes: [
      { orient: 'bottom', scale: 'x', title: 'containers (N)', grid: true },
      { orient: 'left', scale: 'y', title: yTitle, grid: true },
    ],
    marks: [
      {
        type: 'group',
        from: { facet: { name: `${name}-series`, data: `${name}-points`, groupby: 'series' } },
        marks: [
          {
            type: 'line',
            from: { data: `${name}-series` },
            encode: { enter: { x: { scale: 'x', field: 'n' }, y: { scale: 'y', field: 'value' }, stroke: { scale: 'color', field: 'series' }, strokeWidth: { value: 2 } } },
          },
          {
            type: 'symbol',
            from: { data: `${name}-series` },
            encode: { enter: { x: { scale: 'x', field: 'n' }, y: { scale: 'y', field: 'value' }, fill: { scale: 'color', field: 'series' }, size: { value: 40 } } },
          },
        ],
      },
    ],
  };
}

export async function writeScalePlot(rows: ScaleRow[], file: string): Promise<void> {
  const table = rows.flatMap((r) => [
    { chart: 'apply', series: 'berth apply', n: r.n, value: r.berthApplyMs / 1000 },
    { chart: 'apply', series: 'docker-compose up -d', n: r.n, value: r.composeUpMs / 1000 },
    { chart: 'rss', series: 'berth daemon', n: r.n, value: r.berthRssMiB },
    { chart: 'rss', series: 'dockerd + containerd', n: r.n, value: r.dockerRssMiB },
  ]);
  const spec: vega.Spec = {
    $schema: 'https://vega.github.io/schema/vega/v6.json',
    width: 2 * W + 90,
    height: H,
    padding: 10,
    background: 'white',
    data: [{ name: 'table', values: table }],
    scales: [{ name: 'color', type: 'ordinal', domain: { data: 'table', field: 'series' }, range: ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e'] }],
    legends: [{ fill: 'color', orient: 'bottom', direction: 'horizontal', labelLimit: 400 }],
    marks: [chart('apply', 'Time until N containers run', 'seconds', 0), chart('rss', 'Daemon memory with N running', 'RSS (MiB)', W + 90)],
  };
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  writeFileSync(file, await view.toSVG());
  view.finalize();
}
