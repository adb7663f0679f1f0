import { createContext, useContext } from 'react';
import type { Theme } from './theme';

export const ThemeContext = createContext<Theme>('dark');
export const ThemeSetterContext = createContext<(t: Theme) => void>(() => {});
export const useThemeValue = (): Theme => useContext(ThemeContext);
export const useSetTheme = (): ((t: Theme) => void) => useContext(ThemeSetterContext);
