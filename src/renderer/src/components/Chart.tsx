/** Charts load ECharts on first use, so the overview's first paint does not wait for it. */
import type { EChartsCoreOption } from 'echarts/core';
import { useEffect, useState, type ComponentType } from 'react';
import type { ChartCaption } from '../lib/chart-options';

let preloading: Promise<boolean> | null = null;
/** The chart component once the library has loaded. */
let EChart: ComponentType<ChartProps> | null = null;
/** Starts loading the chart library (once), e.g. while a page's data loads; true once it is there. */
export function preloadCharts(): Promise<boolean> {
  preloading ??= import('./EChart').then(
    (m) => {
      EChart = m.default;
      return true;
    },
    () => {
      preloading = null;
      return false;
    },
  );
  return preloading;
}

type LibraryState = 'loading' | 'loaded' | 'failed';

/** The chart library's state; it starts loading on first use, and again on `retry` after a failure. */
function useChartLibrary(): [LibraryState, () => void] {
  const [state, setState] = useState<LibraryState>(EChart !== null ? 'loaded' : 'loading');
  useEffect(() => {
    if (state !== 'loading') return;
    let live = true;
    void preloadCharts().then((ok) => live && setState(ok ? 'loaded' : 'failed'));
    return () => {
      live = false;
    };
  }, [state]);
  return [state, () => setState('loading')];
}

/** Whether the chart library has loaded (it starts loading on first use). */
export function useChartsLoaded(): boolean {
  return useChartLibrary()[0] === 'loaded';
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

/** A chart; while the library loads, an empty box of its size. Once loaded, every chart draws in its first render. */
export function Chart(props: ChartProps) {
  const [state, retry] = useChartLibrary();
  const height = props.height ?? 300;
  if (state === 'failed') {
    return (
      <div className="chart state" style={{ height }} role="alert">
        The chart library could not be loaded.{' '}
        <button type="button" onClick={retry}>
          Retry
        </button>
      </div>
    );
  }
  if (EChart === null) return <div className="chart" style={{ height }} aria-busy="true" />;
  return <EChart {...props} />;
}
