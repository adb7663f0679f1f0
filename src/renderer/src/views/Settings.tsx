/** Settings: the appearance (local) and the settings domain's values when this build has them. */
import { useQuery } from '@tanstack/react-query';
import { NotAvailable } from '../components/States';
import { client } from '../lib/client';
import { useSetTheme, useThemeValue } from '../lib/theme-context';

export function SettingsView() {
  const theme = useThemeValue();
  const setTheme = useSetTheme();
  const info = useQuery({ queryKey: ['system.info'], queryFn: () => client.call('system.info', {}) });
  return (
    <div className="view">
      <h2>Settings</h2>
      <section className="panel">
        <h3>Appearance</h3>
        <label>
          Theme{' '}
          <select aria-label="Theme" value={theme} onChange={(e) => setTheme(e.target.value === 'light' ? 'light' : 'dark')}>
            <option value="dark">Dark</option>
            <option value="light">Light</option>
          </select>
        </label>
      </section>
      <section className="panel">
        <h3>Keys, services and schedules</h3>
        <NotAvailable what="Editing settings" />
      </section>
      {info.data ? (
        <section className="panel">
          <h3>About</h3>
          <p className="small">
            Version {info.data.version} ({info.data.mode}) · data in <span className="mono">{info.data.dataDir}</span> · database {(info.data.database.sizeBytes / 1e6).toFixed(1)} MB, {info.data.database.migrations} migrations
          </p>
        </section>
      ) : null}
    </div>
  );
}
