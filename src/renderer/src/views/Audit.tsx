/**
 * Contract audit: by address (verified source and bytecode) or by Solidity files. Findings are
 * grouped by severity beside the source with their lines highlighted; the token-risk checklist
 * shows its evidence; bytecode facts, the score and its reasoning complete the report.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { AuditReport, Finding, Severity, StoredAudit } from '../../../shared/contract/audit';
import { DataTable, type Column } from '../components/DataTable';
import { Empty, ErrorState, Loading } from '../components/States';
import { TaskList } from '../components/Tasks';
import { client } from '../lib/client';
import { formatUtc } from '../lib/format';
import { navigate } from '../lib/route';
import { invalidateAfter, setCallData, useCall } from '../lib/calls';

const SEVERITIES: Severity[] = ['high', 'medium', 'low', 'info'];
const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/;

/** The lines to highlight per file: the selected finding's range, or every finding's. */
export function highlightedLines(findings: readonly Pick<Finding, 'file' | 'line' | 'endLine'>[], file: string): Set<number> {
  const out = new Set<number>();
  for (const f of findings) {
    if (f.file !== file) continue;
    for (let l = f.line; l <= Math.max(f.line, f.endLine); l++) out.add(l);
  }
  return out;
}

function SourceViewer({ report, selected, onPickLine }: { report: AuditReport; selected: { file: string; line: number; endLine: number } | null; onPickLine?: (file: string, line: number) => void }) {
  const files = report.files;
  const [file, setFile] = useState(files[0]?.path ?? '');
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (selected && selected.file !== file && files.some((f) => f.path === selected.file)) setFile(selected.file);
  }, [selected, file, files]);
  useEffect(() => {
    if (!selected || selected.file !== file) return;
    ref.current?.querySelector(`[data-line="${selected.line}"]`)?.scrollIntoView({ block: 'center' });
  }, [selected, file]);
  const current = files.find((f) => f.path === file) ?? files[0];
  const marks = useMemo(() => highlightedLines(selected ? [selected] : report.findings, current?.path ?? ''), [selected, report.findings, current]);
  if (!current) return <Empty>No source: the contract is not verified, so only its bytecode was checked.</Empty>;
  const lines = current.content.split(/\r?\n/);
  return (
    <div>
      {files.length > 1 && (
        <select aria-label="Source file" value={current.path} onChange={(e) => setFile(e.target.value)}>
          {files.map((f) => (
            <option key={f.path} value={f.path}>
              {f.path} ({f.lines} lines)
            </option>
          ))}
        </select>
      )}
      <div className="source" ref={ref} data-testid="source" data-file={current.path}>
        {lines.map((text, i) => {
          const n = i + 1;
          return (
            <div key={n} className={`line ${marks.has(n) ? 'hl' : ''}`} data-line={n} onClick={() => onPickLine?.(current.path, n)}>
              <span className="no">{n}</span>
              <span>{text || ' '}</span>
            </div>
          );
        })}
      </div>
    </div>
  );
}

function Report({ report }: { report: AuditReport }) {
  const [selected, setSelected] = useState<number | null>(null);
  // Lines shown in the source: a finding's, or a token-risk item's evidence.
  const [evidence, setEvidence] = useState<{ file: string; line: number; endLine: number } | null>(null);
  const finding = selected === null ? null : (report.findings[selected] ?? null);
  const pick = finding ?? evidence;
  const choose = (i: number): void => {
    setEvidence(null);
    setSelected(selected === i ? null : i);
  };
  const bySeverity = SEVERITIES.map((s) => ({ s, items: report.findings.map((f, i) => ({ f, i })).filter((x) => x.f.severity === s) }));
  const bc = report.bytecode;
  return (
    <div data-testid="audit-report">
      <div className="detail-head">
        <h2>
          {report.target.name ?? report.target.address ?? 'Solidity source'}{' '}
          {report.target.address ? <span className="mono muted small">{report.target.address}</span> : null}
        </h2>
        <span className={`score-badge ${report.score >= 80 ? 'up' : report.score >= 50 ? '' : 'down'}`} data-testid="audit-score">
          Score {report.score}/100
        </span>
        <span className="muted small">
          audited {formatUtc(report.auditedAt)} · detectors {report.detectorVersion}
          {report.cached ? ' · unchanged since the last audit' : ''}
        </span>
      </div>
      <div className="audit-grid">
        <div>
          <section className="panel">
            <h3>Findings ({report.findings.length})</h3>
            {report.findings.length === 0 && <Empty>No detector fired on this source.</Empty>}
            {bySeverity
              .filter((g) => g.items.length > 0)
              .map((g) => (
                <div key={g.s} data-severity={g.s}>
                  <h4>
                    <span className={`sev sev-${g.s}`}>{g.s}</span> {g.items.length}
                  </h4>
                  {g.items.map(({ f, i }) => (
                    <div
                      key={i}
                      className={`finding ${selected === i ? 'selected' : ''}`}
                      data-testid="finding"
                      data-swc={f.swc}
                      data-lines={`${f.line}-${f.endLine}`}
                      tabIndex={0}
                      role="button"
                      aria-expanded={selected === i}
                      onClick={() => choose(i)}
                      onKeyDown={(e) => {
                        if (e.key === 'Enter' || e.key === ' ') {
                          e.preventDefault();
                          choose(i);
                        }
                      }}
                    >
                      <strong>{f.title}</strong>{' '}
                      <span className="muted small">
                        {f.swc} · {f.confidence} confidence · {f.file}:{f.line}
                        {f.endLine > f.line ? `-${f.endLine}` : ''}
                        {f.contract ? ` · ${f.contract}${f.function ? `.${f.function}` : ''}` : ''}
                      </span>
                      {selected === i && (
                        <div className="small">
                          <p>{f.description}</p>
                          <p>
                            <strong>Recommendation:</strong> {f.recommendation}
                          </p>
                        </div>
                      )}
                    </div>
                  ))}
                </div>
              ))}
          </section>
          <section className="panel">
            <h3>Score reasoning</h3>
            <ul className="checklist small" data-testid="score-reasoning">
              {report.scoreReasoning.map((r, i) => (
                <li key={i}>
                  <span className={r.points < 0 ? 'down' : 'up'}>{r.points > 0 ? `+${r.points}` : r.points}</span> {r.reason}
                </li>
              ))}
              {report.scoreReasoning.length === 0 && <li className="muted">No deductions.</li>}
            </ul>
          </section>
          <section className="panel">
            <h3>Token risk checklist</h3>
            {Object.keys(report.tokenRisk).length === 0 ? (
              <Empty>No token-risk checks apply.</Empty>
            ) : (
              <ul className="checklist small" data-testid="token-risk">
                {Object.entries(report.tokenRisk).map(([key, item]) => {
                  // The overall verdict is a level (high/medium/low); low is nothing to warn about.
                  const flagged = key === 'overall' ? item.value !== 'low' : item.value === true || (typeof item.value === 'string' && item.value !== '' && item.value !== '0');
                  return (
                    <li key={key} data-risk={key}>
                      <span className={flagged ? 'down' : item.value === null ? 'muted' : 'up'}>{item.value === null ? '?' : flagged ? '⚠' : '✓'}</span> <strong>{key.replace(/_/g, ' ')}</strong>: {item.value === null ? 'unknown' : String(item.value)}
                      {item.who ? <span className="muted"> (by {item.who})</span> : null}
                      {item.note ? <span className="muted"> — {item.note}</span> : null}
                      {item.evidence.map((ev, j) => (
                        <button key={j} type="button" className="link mono" onClick={() => {
                            setSelected(null);
                            setEvidence({ file: ev.file, line: ev.line, endLine: ev.endLine });
                          }}
                          title={`${ev.contract ?? ''}${ev.function ? `.${ev.function}` : ''}`}>
                          {' '}
                          {ev.file}:{ev.line}
                        </button>
                      ))}
                    </li>
                  );
                })}
              </ul>
            )}
          </section>
          <section className="panel">
            <h3>Bytecode</h3>
            {bc ? (
              <dl className="facts small" data-testid="bytecode">
                <div>
                  <dt>Proxy</dt>
                  <dd>{bc.isProxy ? bc.proxyKind : 'no'}</dd>
                </div>
                {bc.implementation ? (
                  <div>
                    <dt>Implementation</dt>
                    <dd className="mono">
                      <a href={`#/audit/${bc.implementation}`}>{bc.implementation}</a>
                    </dd>
                  </div>
                ) : null}
                {bc.admin ? (
                  <div>
                    <dt>Admin</dt>
                    <dd className="mono">{bc.admin}</dd>
                  </div>
                ) : null}
                <div>
                  <dt>Code size</dt>
                  <dd>{bc.codeSize.toLocaleString('en-US')} bytes</dd>
                </div>
                <div>
                  <dt>Opcodes</dt>
                  <dd>{(['selfdestruct', 'delegatecall', 'callcode'] as const).filter((o) => bc.opcodes[o]).join(', ') || 'none of concern'}</dd>
                </div>
                <div>
                  <dt>Privileged functions</dt>
                  <dd>{bc.knownFunctions.map((k) => k.signature).join(', ') || 'none known'}</dd>
                </div>
              </dl>
            ) : (
              <Empty>Not read: this audit had source only (no address).</Empty>
            )}
          </section>
          {report.errors.length > 0 && (
            <section className="panel">
              <h3>Problems</h3>
              <ul className="small down">
                {report.errors.map((e, i) => (
                  <li key={i}>
                    {e.file ? `${e.file}${e.line ? `:${e.line}` : ''}: ` : ''}
                    {e.message}
                  </li>
                ))}
              </ul>
            </section>
          )}
        </div>
        <section className="panel">
          <h3>Source {pick ? <span className="muted small">— lines {pick.line}-{pick.endLine} of {pick.file}</span> : <span className="muted small">— every finding highlighted</span>}</h3>
          <SourceViewer report={report} selected={pick} />
        </section>
      </div>
    </div>
  );
}

function readFiles(list: FileList): Promise<{ path: string; content: string }[]> {
  return Promise.all([...list].map(async (f) => ({ path: f.webkitRelativePath || f.name, content: await f.text() })));
}

export function AuditView({ address }: { address?: string | undefined }) {
  const qc = useQueryClient();
  const [target, setTarget] = useState(address ?? '');
  const [force, setForce] = useState(false);
  const [paste, setPaste] = useState('');
  const [sourceReport, setSourceReport] = useState<AuditReport | null>(null);
  useEffect(() => setTarget(address ?? ''), [address]);

  const stored = useCall('audit.get', { address: address ?? '' }, { enabled: !!address, retry: false });
  const list = useCall('audit.list');
  const byAddress = useMutation({
    mutationFn: (v: { address: string; force: boolean }) => client.call('audit.address', v),
    onSuccess: async (r) => {
      await invalidateAfter(qc, 'audit.address');
      setCallData(qc, 'audit.get', { address: r.target.address ?? address ?? '' }, r);
    },
  });
  const bySource = useMutation({ mutationFn: (files: { path: string; content: string }[]) => client.call('audit.source', { files }), onSuccess: (r) => setSourceReport(r) });

  const submitAddress = (): void => {
    const a = target.trim();
    if (!ADDRESS_RE.test(a)) return;
    setSourceReport(null);
    if (a.toLowerCase() !== address?.toLowerCase()) navigate({ view: 'audit', address: a.toLowerCase() });
    byAddress.mutate({ address: a, force });
  };

  const listCols: Column<StoredAudit>[] = [
    { id: 'name', header: 'Contract', align: 'left', value: (a) => a.name },
    { id: 'address', header: 'Address', align: 'left', value: (a) => a.address, render: (a) => <a className="mono" href={`#/audit/${a.address}`}>{a.address}</a> },
    { id: 'score', header: 'Score', value: (a) => a.score },
    { id: 'high', header: 'High', value: (a) => a.findings.high, render: (a) => <span className={a.findings.high ? 'down' : ''}>{a.findings.high}</span> },
    { id: 'medium', header: 'Medium', value: (a) => a.findings.medium },
    { id: 'low', header: 'Low', value: (a) => a.findings.low },
    { id: 'auditedAt', header: 'Audited', value: (a) => a.auditedAt, render: (a) => formatUtc(a.auditedAt) },
  ];

  const addressValid = ADDRESS_RE.test(target.trim());
  const report = sourceReport ?? (address ? (byAddress.data ?? stored.data ?? null) : null);
  const busy = byAddress.isPending || bySource.isPending;
  return (
    <div className="view">
      <h2>Contract audit</h2>
      <section className="panel">
        <form
          className="toolbar"
          onSubmit={(e) => {
            e.preventDefault();
            submitAddress();
          }}
        >
          <input aria-label="Contract address" className={target && !addressValid ? 'invalid' : ''} aria-invalid={!!target && !addressValid} placeholder="0x… contract address on Polygon" size={46} value={target} onChange={(e) => setTarget(e.target.value)} />
          <label>
            <input type="checkbox" checked={force} onChange={(e) => setForce(e.target.checked)} /> Re-audit
          </label>
          <button type="submit" disabled={!addressValid || busy}>
            Audit address
          </button>
          <span className="muted">or</span>
          <label className="file-pick">
            <span className="button-like">Audit Solidity files…</span>
            <input
              type="file"
              aria-label="Solidity files"
              accept=".sol,.json"
              multiple
              onChange={(e) => {
                const files = e.target.files;
                if (files && files.length) void readFiles(files).then((f) => bySource.mutate(f));
                e.target.value = '';
              }}
            />
          </label>
        </form>
        <details>
          <summary className="muted small">Paste Solidity source</summary>
          <textarea aria-label="Solidity source" rows={8} className="mono" value={paste} onChange={(e) => setPaste(e.target.value)} placeholder="// SPDX-License-Identifier: MIT&#10;pragma solidity ^0.8.0;&#10;contract C { … }" />
          <button type="button" disabled={!paste.trim() || busy} onClick={() => bySource.mutate([{ path: 'Pasted.sol', content: paste }])}>
            Audit pasted source
          </button>
        </details>
        {target && !addressValid && <p className="down small">An address is 0x followed by 40 hex digits.</p>}
      </section>
      {busy && (
        <section className="panel">
          <Loading what="the audit" />
          <TaskList kinds={['audit']} />
        </section>
      )}
      {byAddress.isError && <ErrorState what="the audit" error={byAddress.error} />}
      {bySource.isError && <ErrorState what="the audit" error={bySource.error} />}
      {!busy && report && <Report report={report} />}
      {!busy && !report && address && stored.isLoading && <Loading what="the stored audit" />}
      {!busy && !report && address && stored.isError && (stored.error as { code?: string }).code === 'NOT_FOUND' && <Empty>This contract has not been audited yet: press “Audit address”.</Empty>}
      {!busy && !report && address && stored.isError && (stored.error as { code?: string }).code !== 'NOT_FOUND' && <ErrorState what="the stored audit" error={stored.error} />}
      <section className="panel">
        <h3>Audited contracts</h3>
        {list.isLoading ? (
          <Loading what="audits" />
        ) : list.isError ? (
          <ErrorState what="audits" error={list.error} />
        ) : (list.data ?? []).length === 0 ? (
          <Empty>No contract audited yet.</Empty>
        ) : (
          <DataTable rows={list.data ?? []} columns={listCols} rowId={(a) => `${a.chainId}:${a.address}`} testId="audits-table" csvName="defimon-audits" initialSort={[{ id: 'auditedAt', desc: true }]} maxHeight={300} onOpen={(a) => navigate({ view: 'audit', address: a.address })} />
        )}
      </section>
    </div>
  );
}
