import { Suspense } from 'react';
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { lazyView, loadOnce } from './first-sight';

const View = ({ name }: { name: string }) => <p>view {name}</p>;

describe('view code loaded once', () => {
  it('loads a module once, has it afterwards, and tries again after a failure', async () => {
    let calls = 0;
    let fail = true;
    const code = loadOnce(async () => {
      calls++;
      if (fail) throw new Error('offline');
      return { View };
    });
    await expect(code.load()).rejects.toThrow('offline');
    expect(code.loaded()).toBeNull();
    fail = false;
    const [a, b] = await Promise.all([code.load(), code.load()]);
    expect(a).toBe(b);
    expect(code.loaded()).toBe(a);
    expect(calls).toBe(2);
  });

  it('renders a view whose code is already there without suspending, and suspends for one still loading', async () => {
    const ready = loadOnce(async () => ({ View }));
    await ready.load();
    const Ready = lazyView(ready, (m) => m.View);
    const html = renderToString(<Suspense fallback={<p>loading</p>}><Ready name="ready" /></Suspense>);
    expect(html).toContain('<p>view <!-- -->ready</p>');
    expect(html).not.toContain('loading');

    const later = loadOnce(() => new Promise<{ View: typeof View }>(() => undefined));
    const Later = lazyView(later, (m) => m.View);
    expect(renderToString(<Suspense fallback={<p>loading</p>}><Later name="later" /></Suspense>)).toContain('loading');
  });
});
