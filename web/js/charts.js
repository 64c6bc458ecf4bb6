// ECharts, loaded on demand from the vendored dist file (a classic script:
// window.echarts) the first time a page draws a chart.

let loading = null;

export function loadECharts() {
  if (window.echarts) return Promise.resolve(window.echarts);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = '/vendor/echarts/echarts.min.js';
      s.async = true;
      s.onload = () => resolve(window.echarts);
      s.onerror = () => {
        loading = null;
        s.remove();
        reject(new Error('echarts failed to load'));
      };
      document.head.appendChild(s);
    });
  }
  return loading;
}

/**
 * Draw `option` in `node` (an element with a height). Returns the chart;
 * it follows the element's size until dispose().
 */
export async function chart(node, option) {
  const echarts = await loadECharts();
  const c = echarts.init(node, null, { renderer: 'canvas' });
  c.setOption(option);
  const ro = new ResizeObserver(() => c.resize());
  ro.observe(node);
  const dispose = c.dispose.bind(c);
  c.dispose = () => {
    ro.disconnect();
    dispose();
  };
  return c;
}

/* ------------------------------------------------------------------------
 * Time-series charts (monitoring): units, formatting and a line chart over
 * [[ms, value|null], …] points. Unknown values stay null, which ECharts
 * draws as a gap (connectNulls is off).
 */

const BYTE_UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];

/** 1536 -> "1.5 KB" (binary multiples, as df -h and free -h print). */
export function fmtBytes(v, digits = 1) {
  if (v === null || v === undefined || !Number.isFinite(Number(v))) return '–';
  let n = Math.abs(Number(v));
  let i = 0;
  while (n >= 1024 && i < BYTE_UNITS.length - 1) {
    n /= 1024;
    i += 1;
  }
  const s = i === 0 ? String(Math.round(n)) : n.toFixed(n >= 100 ? 0 : digits);
  return `${Number(v) < 0 ? '-' : ''}${s} ${BYTE_UNITS[i]}`;
}

export function fmtRate(v) {
  return v === null || v === undefined || !Number.isFinite(Number(v)) ? '–' : `${fmtBytes(v)}/s`;
}

export function fmtPct(v) {
  if (v === null || v === undefined || !Number.isFinite(Number(v))) return '–';
  const n = Number(v);
  return `${n >= 10 || n === 0 ? n.toFixed(0) : n.toFixed(1)} %`;
}

export function fmtNumber(v) {
  if (v === null || v === undefined || !Number.isFinite(Number(v))) return '–';
  const n = Number(v);
  return Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(2);
}

export const UNIT_FORMAT = { bytes: fmtBytes, rate: fmtRate, pct: fmtPct, number: fmtNumber };

const PALETTE = ['#3c8dbc', '#dd4b39', '#f39c12', '#00a65a', '#605ca8', '#39cccc', '#d81b60', '#777777'];

/**
 * The ECharts option of a time-series chart.
 *   series: [{name, unit ('bytes'|'rate'|'pct'|'number'), stack?, area?, axis? (0|1)}]
 *   axes:   units of the y axes (one or two), e.g. ['rate', 'pct']
 *   max:    fixed maximum of the first axis (100 for percentages)
 */
export function timeSeriesOption({ series, axes = ['number'], max, min = 0 }) {
  const yAxis = axes.map((unit, i) => ({
    type: 'value',
    min,
    max: i === 0 && max !== undefined ? max : (unit === 'pct' ? 100 : null),
    splitNumber: 4,
    minInterval: unit === 'bytes' || unit === 'rate' ? 1 : undefined,
    splitLine: { show: i === 0 },
    axisLabel: { formatter: (v) => UNIT_FORMAT[unit](v), fontSize: 11 },
  }));
  return {
    animation: false,
    color: PALETTE,
    grid: { left: 8, right: axes.length > 1 ? 8 : 16, top: 36, bottom: 8, containLabel: true },
    legend: { top: 4, left: 'center', itemWidth: 14, itemHeight: 8, textStyle: { fontSize: 11 } },
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'line' },
      confine: true,
    },
    toolbox: { right: 4, top: 0, itemSize: 12, feature: { saveAsImage: { title: '' } } },
    xAxis: { type: 'time', boundaryGap: false, axisLabel: { hideOverlap: true, fontSize: 11 } },
    yAxis,
    series: series.map((s) => ({
      name: s.name,
      type: 'line',
      showSymbol: false,
      symbol: 'circle',
      connectNulls: false,
      sampling: 'lttb',
      yAxisIndex: s.axis || 0,
      stack: s.stack || undefined,
      areaStyle: s.area || s.stack ? { opacity: 0.35 } : undefined,
      lineStyle: { width: 1.5 },
      emphasis: { focus: 'series' },
      tooltip: { valueFormatter: (v) => UNIT_FORMAT[s.unit || axes[s.axis || 0]](v) },
      data: [],
    })),
  };
}
