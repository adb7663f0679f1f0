import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { PriceChart } from './components/PriceChart';
import { client } from './lib/client';
import { AssetList } from './views/AssetList';

function AssetChart({ assetId }: { assetId: string }) {
  const prices = useQuery({ queryKey: ['assets.prices', assetId], queryFn: () => client.call('assets.prices', { assetId, maxPoints: 2000 }) });
  if (prices.isLoading) return <p className="state">Loading prices…</p>;
  if (prices.isError) return <p className="state error" role="alert">Could not load prices: {prices.error.message}</p>;
  return <PriceChart points={prices.data ?? []} symbol={assetId} />;
}

export function App() {
  const [selected, setSelected] = useState<string | null>(null);
  const info = useQuery({ queryKey: ['system.info'], queryFn: () => client.call('system.info', {}) });
  return (
    <div className="app">
      <header>
        <h1>DEFIMON</h1>
        <span className="muted">DeFi research on Polygon</span>
      </header>
      <main>
        {selected && (
          <section className="detail">
            <h2>{selected}</h2>
            <AssetChart assetId={selected} />
          </section>
        )}
        <AssetList selected={selected} onSelect={setSelected} />
      </main>
      <footer className="muted">{info.data?.dataset ? `Bundled data to ${info.data.dataset.cutoff}. ${info.data.dataset.attribution}` : ''}</footer>
    </div>
  );
}
