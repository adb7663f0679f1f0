/**
 * Settings: preferences, service URLs and API keys. Secrets are write-only: the form never holds
 * a stored value, only whether one is set and where it comes from; typing a new one replaces it.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { SecretKey, SettingsValuesPatch, SettingsView as SettingsData } from '../../../shared/contract/settings';
import { ErrorState, Loading } from '../components/States';
import { client, isDesktop } from '../lib/client';
import { TEXT_FIELDS, valuesPatch, type Values } from '../lib/settings-patch';
import { useSetTheme, useThemeValue } from '../lib/theme-context';
import { setCallData, useCall } from '../lib/calls';

const SECRET_LABEL: Record<SecretKey, string> = {
  rpcUrl: 'QuickNode / Polygon RPC URL (https)',
  rpcWsUrl: 'Polygon RPC WebSocket URL (wss)',
  etherscanApiKey: 'Etherscan API key',
  coingeckoApiKey: 'CoinGecko API key',
  githubToken: 'GitHub token',
  hfToken: 'Hugging Face token',
  pgUrl: 'Team Postgres URL',
  pgReplicaUrl: 'Postgres read replica URL',
  redisUrl: 'Team Redis URL',
};

function SettingsForm({ view }: { view: SettingsData }) {
  const qc = useQueryClient();
  const [draft, setDraft] = useState<Record<string, string>>({});
  const [logLevel, setLogLevel] = useState(view.values.logLevel);
  const [autoImport, setAutoImport] = useState(view.values.autoImport);
  const [autoCollect, setAutoCollect] = useState(view.values.autoCollect);
  const [secrets, setSecrets] = useState<Partial<Record<SecretKey, string>>>({});
  const [saved, setSaved] = useState(false);
  const done = (v: SettingsData): void => {
    setCallData(qc, 'settings.get', {}, v);
    setSaved(true);
  };
  const saveValues = useMutation({ mutationFn: (values: SettingsValuesPatch) => client.call('settings.update', { values }), onSuccess: (v) => { setDraft({}); done(v); } });
  const saveSecret = useMutation({
    mutationFn: (v: { key: SecretKey; value: string }) => client.call('settings.update', { secrets: { [v.key]: v.value } }),
    onSuccess: (v, vars) => {
      setSecrets((s) => ({ ...s, [vars.key]: '' }));
      done(v);
    },
  });
  const restart = useMutation({ mutationFn: () => client.call('settings.restart', {}), onSuccess: () => qc.invalidateQueries() });
  const clearSecret = useMutation({ mutationFn: (key: SecretKey) => client.call('settings.clearSecret', { key }), onSuccess: done });
  const patch = valuesPatch(view.values, draft, logLevel, autoImport, autoCollect);
  const dirty = Object.keys(patch).length > 0;

  return (
    <>
      <section className="panel">
        <h3>Preferences</h3>
        <form
          className="form-grid"
          onSubmit={(e) => {
            e.preventDefault();
            setSaved(false);
            saveValues.mutate(patch);
          }}
        >
          {TEXT_FIELDS.map((f) => (
            <label key={f.key} className="contents">
              <span>{f.label}</span>
              <input
                name={f.key}
                aria-label={f.label}
                inputMode={f.kind === 'int' ? 'numeric' : undefined}
                value={draft[f.key] ?? String(view.values[f.key] ?? '')}
                placeholder={view.values[f.key] === null ? 'not set' : undefined}
                onChange={(e) => setDraft((d) => ({ ...d, [f.key]: e.target.value }))}
              />
              <span className="muted small">{view.envOverrides.includes(f.key) ? 'overridden by the environment' : ''}</span>
            </label>
          ))}
          <label className="contents">
            <span>Log level</span>
            <select aria-label="Log level" value={logLevel} onChange={(e) => setLogLevel(e.target.value as Values['logLevel'])}>
              {['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => (
                <option key={l}>{l}</option>
              ))}
            </select>
            <span />
          </label>
          <label className="contents">
            <span>Import the bundled dataset into an empty database</span>
            <input type="checkbox" aria-label="Auto import" checked={autoImport} onChange={(e) => setAutoImport(e.target.checked)} />
            <span />
          </label>
          <label className="contents">
            <span>Collect live data on a schedule (off: only when asked)</span>
            <input type="checkbox" aria-label="Auto collect" checked={autoCollect} onChange={(e) => setAutoCollect(e.target.checked)} />
            <span />
          </label>
          <span />
          <div>
            <button type="submit" disabled={!dirty || saveValues.isPending}>
              Save preferences
            </button>{' '}
            {saved && !dirty && <span className="up" role="status">Saved.</span>}
          </div>
        </form>
        {saveValues.isError && <ErrorState what="the preferences" error={saveValues.error} />}
        {view.pendingRestart.length > 0 && (
          <p className="muted">
            Takes effect after a restart: {view.pendingRestart.join(', ')}.{' '}
            {isDesktop ? (
              <button type="button" disabled={restart.isPending} onClick={() => restart.mutate()}>
                {restart.isPending ? 'Restarting…' : 'Restart services now'}
              </button>
            ) : (
              'Restart `defimon serve` to apply it.'
            )}
          </p>
        )}
        {restart.isError && <ErrorState what="the restart" error={restart.error} />}
        <p className="muted small">
          Stored in <span className="mono">{view.file}</span>
        </p>
      </section>
      <section className="panel">
        <h3>API keys and service URLs</h3>
        {!view.secretStorage.writable && <p className="muted">{view.secretStorage.reason ?? 'Secrets cannot be stored by this runner.'}</p>}
        <div className="form-grid" data-testid="secrets">
          {(Object.keys(SECRET_LABEL) as SecretKey[]).map((key) => {
            const st = view.secrets[key];
            return (
              <form
                key={key}
                className="contents"
                onSubmit={(e) => {
                  e.preventDefault();
                  const value = secrets[key]?.trim();
                  if (value) saveSecret.mutate({ key, value });
                }}
              >
                <span>{SECRET_LABEL[key]}</span>
                <input
                  type="password"
                  autoComplete="off"
                  aria-label={SECRET_LABEL[key]}
                  disabled={!view.secretStorage.writable}
                  placeholder={st?.set ? `set${st.source ? ` (${st.source})` : ''}${st.host ? ` — ${st.host}` : ''}; type to replace` : view.secretStorage.writable ? 'not set' : `not set — use ${st?.envVar ?? 'the environment'}`}
                  value={secrets[key] ?? ''}
                  onChange={(e) => setSecrets((s) => ({ ...s, [key]: e.target.value }))}
                />
                <span>
                  <button type="submit" disabled={!view.secretStorage.writable || !secrets[key]?.trim()}>
                    Save
                  </button>{' '}
                  <button type="button" disabled={!st?.set || st.source === 'env'} onClick={() => clearSecret.mutate(key)}>
                    Clear
                  </button>
                </span>
              </form>
            );
          })}
        </div>
        {(saveSecret.isError || clearSecret.isError) && <ErrorState what="the secret" error={saveSecret.error ?? clearSecret.error} />}
      </section>
    </>
  );
}

export function SettingsView() {
  const theme = useThemeValue();
  const setTheme = useSetTheme();
  const info = useCall('system.info');
  const settings = useCall('settings.get');
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
      {settings.isLoading ? (
        <Loading what="settings" />
      ) : settings.isError ? (
        <ErrorState what="settings" error={settings.error} onRetry={() => void settings.refetch()} />
      ) : settings.data ? (
        <SettingsForm key={settings.data.file} view={settings.data} />
      ) : null}
      {info.data ? (
        <section className="panel">
          <h3>About</h3>
          <p className="small">
            Version {info.data.version} ({info.data.mode}) · data in <span className="mono">{info.data.dataDir}</span> · database {(info.data.database.sizeBytes / 1e6).toFixed(1)} MB, {info.data.database.migrations} migrations
          </p>
          {info.data.dataset ? (
            <p className="small muted">
              {info.data.dataset.name} (to {info.data.dataset.cutoff}): {info.data.dataset.attribution}
            </p>
          ) : null}
        </section>
      ) : null}
    </div>
  );
}
