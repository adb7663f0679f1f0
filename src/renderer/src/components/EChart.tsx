/**
 * One ECharts chart: tree-shaken imports (line, bar), re-created on theme change, resized with its
 * box, and a PNG export through getDataURL. `summary` is written to data-summary so tests and
 * analysts' tools can read what the chart shows.
 */
import { BarChart, LineChart } from 'echarts/charts';
import { DataZoomComponent, GridComponent, LegendComponent, TitleComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'react';
import { EXPORT_HEADER_PX, exportOption } from '../lib/chart-options';
import { downloadDataUrl } from '../lib/csv';
import { pngDataUrlWithText } from '../lib/png-text';
import { useThemeValue } from '../lib/theme-context';
import type { ChartProps } from './Chart';

echarts.use([LineChart, BarChart, GridComponent, TitleComponent, TooltipComponent, LegendComponent, DataZoomComponent, CanvasRenderer]);

export default function EChart({ option, testId, filename, height = 300, summary, caption }: ChartProps) {
  const ref = useRef<HTMLDivElement>(null);
  const chartRef = useRef<echarts.ECharts | null>(null);
  const theme = useThemeValue();

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const chart = echarts.init(el, theme === 'dark' ? 'dark' : undefined, { renderer: 'canvas' });
    chartRef.current = chart;
    const observer = new ResizeObserver(() => chart.resize());
    observer.observe(el);
    return () => {
      observer.disconnect();
      chart.dispose();
      chartRef.current = null;
    };
  }, [theme]);

  useEffect(() => {
    chartRef.current?.setOption(option, { notMerge: true });
  }, [option, theme]);

  const exportPng = (): void => {
    const chart = chartRef.current;
    if (!chart) return;
    const bg = getComputedStyle(document.documentElement).getPropertyValue('--panel').trim() || '#171b22';
    if (!caption) {
      downloadDataUrl(`${filename}.png`, chart.getDataURL({ type: 'png', pixelRatio: 2, backgroundColor: bg }));
      return;
    }
    // Drawn with its title, asset, range and attribution above the same plot, then put back.
    chart.resize({ height: chart.getHeight() + EXPORT_HEADER_PX, animation: { duration: 0 } });
    chart.setOption(exportOption(option, caption, chart.getWidth(), theme === 'dark'), { notMerge: true });
    const url = chart.getDataURL({ type: 'png', pixelRatio: 2, backgroundColor: bg });
    chart.setOption(option, { notMerge: true });
    chart.resize();
    const text = { Title: `${caption.asset}: ${caption.title}`, Description: caption.range, Attribution: caption.attribution, Software: 'DEFIMON' };
    downloadDataUrl(`${filename}.png`, pngDataUrlWithText(url, text));
  };

  return (
    <div className="chart-box">
      <button type="button" className="chart-export" onClick={exportPng} title="Save the chart as PNG">
        PNG
      </button>
      <div ref={ref} className="chart" style={{ height }} data-testid={testId} data-summary={summary === undefined ? undefined : JSON.stringify(summary)} />
    </div>
  );
}
