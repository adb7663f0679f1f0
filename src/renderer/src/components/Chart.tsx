/** Charts load ECharts on first use, so the overview's first paint does not wait for it. */
import type { EChartsCoreOption } from 'echarts/core';
import { lazy, Suspense } from 'react';

const EChart = lazy(() => import('./EChart'));

export interface ChartProps {
  option: EChartsCoreOption;
  testId: string;
  filename: string;
  height?: number;
  summary?: unknown;
}

export function Chart(props: ChartProps) {
  return (
    <Suspense fallback={<div className="chart" style={{ height: props.height ?? 300 }} aria-busy="true" />}>
      <EChart {...props} />
    </Suspense>
  );
}
