import * as echarts from 'echarts/core';
import { LineChart } from 'echarts/charts';
import { DataZoomComponent, GridComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'react';
import type { PricePoint } from '../../../shared/contract/assets';

echarts.use([LineChart, GridComponent, TooltipComponent, DataZoomComponent, CanvasRenderer]);

export function priceChartOption(points: readonly PricePoint[], symbol: string): echarts.EChartsCoreOption {
  return {
    animation: false,
    grid: { left: 60, right: 20, top: 20, bottom: 60 },
    tooltip: { trigger: 'axis', axisPointer: { type: 'cross' } },
    xAxis: { type: 'time' },
    yAxis: { type: 'value', scale: true, name: 'USD' },
    dataZoom: [{ type: 'inside' }, { type: 'slider' }],
    series: [{ name: `${symbol} close`, type: 'line', showSymbol: false, data: points.filter((p) => p.close !== null).map((p) => [p.day, p.close]) }],
  };
}

export function PriceChart({ points, symbol }: { points: readonly PricePoint[]; symbol: string }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!ref.current) return;
    const chart = echarts.init(ref.current, 'dark', { renderer: 'canvas' });
    chart.setOption(priceChartOption(points, symbol));
    const onResize = (): void => chart.resize();
    window.addEventListener('resize', onResize);
    return () => {
      window.removeEventListener('resize', onResize);
      chart.dispose();
    };
  }, [points, symbol]);
  return <div ref={ref} className="chart" data-testid="price-chart" data-points={points.length} />;
}
