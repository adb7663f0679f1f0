/** Dark by default; the choice is remembered per machine. */
import { useEffect, useState } from 'react';

export type Theme = 'dark' | 'light';
const KEY = 'defimon.theme';

function stored(): Theme {
  try {
    return localStorage.getItem(KEY) === 'light' ? 'light' : 'dark';
  } catch {
    return 'dark';
  }
}

export function useTheme(): [Theme, (t: Theme) => void] {
  const [theme, setTheme] = useState<Theme>(stored);
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    try {
      localStorage.setItem(KEY, theme);
    } catch {
      /* storage disabled: the choice lasts this session */
    }
  }, [theme]);
  return [theme, setTheme];
}
