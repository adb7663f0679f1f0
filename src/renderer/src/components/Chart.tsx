/** Charts load ECharts on first use, so the overview's first paint does not wait for it. */
import type { EChartsCoreOption } from 'echarts/core';
import { lazy, Suspense, useEffect, useState } from 'react';
import type { ChartCaption } from '../lib/chart-options';

const load = () => import('./EChart');
const EChart = lazy(load);

let preloading: Promise<boolean> | null = null;
let loaded = false;
/** Starts loading the chart library (once), e.g. while a page's data loads; true once it is there. */
export function preloadCharts(): Promise<boolean> {
  preloading ??= load().then(
    () => (loaded = true),
    () => {
      preloading = null;
      return false;
    },
  );
  return preloading;
}

/** Whether the chart library has loaded (it starts loading on first use). */
export function useChartsLoaded(): boolean {
  const [ok, setOk] = useState(loaded);
  useEffect(() => {
    if (ok) return;
    let live = true;
    void preloadCharts().then((v) => live && setOk(v));
    return () => {
      live = false;
    };
  }, [ok]);
  return ok;
}

export interface ChartProps {
  option: EChartsCoreOption;
  testId: string;
  filename: string;
  height?: number;
  summary?: unknown;
  /** What an exported PNG carries: title, asset, range and the data's attribution. */
  caption?: ChartCaption;
}

export function Chart(props: ChartProps) {
  return (
    <Suspense fallback={<div className="chart" style={{ height: props.height ?? 300 }} aria-busy="true" />}>
      <EChart {...props} />
    </Suspense>
  );
}
