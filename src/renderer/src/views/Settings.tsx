/**
 * Settings: preferences, service URLs and API keys. Secrets are write-only: the form never holds
 * a stored value, only whether one is set and where it comes from; typing a new one replaces it.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { SecretKey, SettingField, SettingsValuesPatch, SettingsView as SettingsData } from '../../../shared/contract/settings';
import { ErrorState, Loading } from '../components/States';
import { client, isDesktop } from '../lib/client';
import { boundsText, collectPatch, issuesByKey, TEXT_FIELDS, valuesPatch, type Values } from '../lib/settings-patch';
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
  /** Why this caller cannot change `key` (the server decides; e.g. endpoints over HTTP without an admin key), or null. */
  const locked = (key: string): string | null => (view.access[key]?.editable === false ? (view.access[key]?.reason ?? 'not editable here') : null);

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
                disabled={locked(f.key) !== null}
                title={locked(f.key) ?? undefined}
                value={draft[f.key] ?? String(view.values[f.key] ?? '')}
                placeholder={view.values[f.key] === null ? 'not set' : undefined}
                onChange={(e) => setDraft((d) => ({ ...d, [f.key]: e.target.value }))}
              />
              <span className="muted small" data-testid={`note-${f.key}`}>
                {locked(f.key) ? `Read-only here: ${locked(f.key)}` : view.envOverrides.includes(f.key) ? 'overridden by the environment' : ''}
              </span>
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
      <CollectForm view={view} onSaved={done} locked={locked('collect')} />
      <section className="panel">
        <h3>API keys and service URLs</h3>
        {!view.secretStorage.writable && <p className="muted">{view.secretStorage.reason ?? 'Secrets cannot be stored by this runner.'}</p>}
        <div className="form-grid" data-testid="secrets">
          {(Object.keys(SECRET_LABEL) as SecretKey[]).map((key) => {
            const st = view.secrets[key];
            const why = locked(`secrets.${key}`);
            const writable = view.secretStorage.writable && why === null;
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
                  disabled={!writable}
                  title={why ?? undefined}
                  placeholder={st?.set ? `set${st.source ? ` (${st.source})` : ''}${st.host ? ` — ${st.host}` : ''}; type to replace` : writable ? 'not set' : `not set — use ${st?.envVar ?? 'the environment'}`}
                  value={secrets[key] ?? ''}
                  onChange={(e) => setSecrets((s) => ({ ...s, [key]: e.target.value }))}
                />
                <span>
                  <button type="submit" disabled={!writable || !secrets[key]?.trim()}>
                    Save
                  </button>{' '}
                  <button type="button" disabled={!st?.set || st.source === 'env' || why !== null} title={why ?? undefined} onClick={() => clearSecret.mutate(key)}>
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

const GROUP_TITLE: Record<string, string> = { chain: 'Chain walker (eth_getLogs ranges, JSON-RPC batches)', rates: 'Provider rates (requests per second)', intervals: 'Schedule (seconds between runs)', '': 'Scheduler and providers' };
/** "maxRange" → "max range". */
const words = (key: string): string => (key.split('.').at(-1) ?? key).replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();

/**
 * The collector tunables, one row per numeric setting the configuration schema declares under
 * `collect` (nothing here lists them by hand): default and bounds from the schema, the server's
 * validation errors under the field they concern.
 */
function CollectForm({ view, onSaved, locked }: { view: SettingsData; onSaved: (v: SettingsData) => void; locked: string | null }) {
  const [draft, setDraft] = useState<Record<string, string>>({});
  const save = useMutation({ mutationFn: (collect: Record<string, unknown>) => client.call('settings.update', { values: { collect } }), onSuccess: (v) => { setDraft({}); onSaved(v); } });
  const patch = collectPatch(view.fields, draft);
  const dirty = Object.keys(patch).length > 0;
  const issues = save.isError ? issuesByKey(save.error) : {};
  const groups = [...new Set(view.fields.map((f) => f.group))];
  const row = (f: SettingField) => (
    <label key={f.key} className="contents" data-setting={f.key}>
      <span title={f.key}>{words(f.key)}</span>
      <input
        name={f.key}
        aria-label={f.key}
        inputMode={f.type === 'int' ? 'numeric' : 'decimal'}
        disabled={locked !== null}
        aria-invalid={issues[f.key] !== undefined}
        value={draft[f.key] ?? (f.stored === null ? '' : String(f.stored))}
        placeholder={f.default === null ? 'unset (chosen at run time)' : `default ${f.default}`}
        onChange={(e) => setDraft((d) => ({ ...d, [f.key]: e.target.value }))}
      />
      <span className="small">
        {issues[f.key] ? (
          <span className="down" role="alert" data-testid={`error-${f.key}`}>
            {issues[f.key]}
          </span>
        ) : (
          <span className="muted">
            {boundsText(f)} · {f.description}
            {f.envOverridden ? ` · overridden by ${f.envVar ?? 'the environment'}` : ''}
          </span>
        )}
      </span>
    </label>
  );
  return (
    <section className="panel" data-testid="collect-settings">
      <h3>Live collection</h3>
      {locked !== null && <p className="muted">Read-only here: {locked}</p>}
      <form
        className="form-grid"
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate(patch);
        }}
      >
        {groups.map((g) => [
          <strong key={`h-${g}`} style={{ gridColumn: '1 / -1' }}>
            {GROUP_TITLE[g] ?? g}
          </strong>,
          ...view.fields.filter((f) => f.group === g).map(row),
        ])}
        <span />
        <div>
          <button type="submit" disabled={!dirty || save.isPending || locked !== null}>
            Save collection settings
          </button>{' '}
          {save.isSuccess && !dirty && <span className="up" role="status">Saved.</span>}
        </div>
      </form>
      {save.isError && <ErrorState what="the collection settings" error={save.error} />}
    </section>
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
