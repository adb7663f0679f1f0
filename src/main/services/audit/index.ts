/**
 * The audit domain: audits Solidity given as files or found by address (stored or explorer
 * source, bytecode read from chain), stores findings and scores, and lists stored audits.
 */
import path from 'node:path';
import type { auditMethods, AuditError, AuditReport, BytecodeFacts, TokenRisk } from '../../../shared/contract/audit';
import { AppError, serializeError } from '../../../shared/errors';
import { chainReaderFor, fetchVerifiedContract } from '../collect/api';
import { redactUrlsIn } from '../config/config';
import type { Core } from '../core';
import type { HandlersFor } from '../rpc/dispatch';
import { buildReport, type SourceAnalysis } from './report';
import { analyzeBytecode, type CodeReader } from './bytecode';
import { auditLimits } from './limits';
import { analyzeOffThread } from './runner';
import { hashSources, readSourcePath, type SourceInput } from './sources';
import { DETECTOR_VERSION } from './version';
import { listAudits, loadAudit, saveAudit } from './store';

export interface AuditDomain {
  handlers: HandlersFor<typeof auditMethods>;
  auditAddress(args: { address: string; chainId?: number; force?: boolean; signal?: AbortSignal }): Promise<AuditReport>;
}

export interface AuditDeps {
  /** Reads code and storage from chain; default: the collectors' RPC client (shared rate limiter and retry policy). */
  codeReader?: (core: Core) => CodeReader | null;
  /** Fetches verified source; default: the collect domain's explorer client. */
  fetchContract?: typeof fetchVerifiedContract;
}

interface ContractRow {
  name: string | null;
  source: string | null;
  source_format: string | null;
  verified: number | null;
  implementation: string | null;
}

export function createAuditDomain(core: Core, deps: AuditDeps = {}): AuditDomain {
  const fetchContract = deps.fetchContract ?? fetchVerifiedContract;
  const rpcUrl = core.config.rpcUrl ?? core.config.rpcWsUrl?.replace(/^ws(s?):\/\//i, 'http$1://');
  const makeReader =
    deps.codeReader ??
    ((c: Core): CodeReader | null => chainReaderFor(c));
  const limits = auditLimits(core.config.audit);
  let reader: CodeReader | null | undefined;
  const codeReader = (): CodeReader | null => (reader === undefined ? (reader = makeReader(core)) : reader);

  const readRow = (chainId: number, address: string): ContractRow | undefined =>
    core.store.db.prepare<unknown[], ContractRow>('SELECT name, source, source_format, verified, implementation FROM smart_contracts WHERE chain_id = ? AND address = ?').get(chainId, address);

  /** Stored source first; otherwise the explorer (when a key is configured). */
  async function sourceOf(chainId: number, address: string, errors: AuditError[], signal?: AbortSignal): Promise<{ name: string | null; inputs: SourceInput[] }> {
    let row = readRow(chainId, address);
    if (!row?.source && chainId === core.config.chainId) {
      try {
        const fetched = await fetchContract(signal ? { core, address, signal } : { core, address });
        row = { name: fetched.name, source: fetched.source, source_format: fetched.sourceFormat, verified: fetched.verified ? 1 : 0, implementation: fetched.implementation };
      } catch (err) {
        const e = serializeError(err);
        if (e.code === 'CANCELLED') throw err;
        errors.push({ file: null, line: null, code: e.code, message: `verified source unavailable: ${e.message}` });
      }
    }
    if (!row?.source) return { name: row?.name ?? null, inputs: [] };
    const base = (row.name ?? address).replace(/[^\w.-]/g, '_');
    return { name: row.name, inputs: [{ path: row.source_format === 'single-file' || !row.source.trim().startsWith('{') ? `${base}.sol` : `${base}.json`, content: row.source }] };
  }

  async function auditAddress(args: { address: string; chainId?: number; force?: boolean; signal?: AbortSignal }): Promise<AuditReport> {
    const address = args.address.toLowerCase();
    const chainId = args.chainId ?? core.config.chainId;
    return core.tasks.run(
      'audit',
      async ({ signal, progress }) => {
        const started = performance.now();
        const errors: AuditError[] = [];
        progress(0, 3, 'source');
        const { name, inputs } = await sourceOf(chainId, address, errors, signal);

        progress(1, 3, 'bytecode');
        let bytecode: BytecodeFacts | null = null;
        const r = chainId === core.config.chainId ? codeReader() : null;
        if (r) {
          try {
            bytecode = await analyzeBytecode(r, address, { signal });
          } catch (err) {
            if (signal.aborted) throw new AppError('CANCELLED', 'audit was cancelled');
            // ethers quotes the request URL in its errors, and an RPC URL may carry its key.
            errors.push({ file: null, line: null, code: serializeError(err).code, message: `bytecode unavailable: ${redactUrlsIn(serializeError(err).message, [rpcUrl, core.config.rpcUrl, core.config.rpcWsUrl])}` });
          }
        } else errors.push({ file: null, line: null, code: 'NOT_CONFIGURED', message: 'no RPC URL configured: bytecode and proxy slots were not read' });

        // A proxy's own source says little: audit the implementation's source with it.
        let implInputs: SourceInput[] = [];
        const impl = bytecode?.implementation ?? readRow(chainId, address)?.implementation ?? null;
        if (impl && impl !== address) {
          const implSource = await sourceOf(chainId, impl, [], signal);
          implInputs = implSource.inputs.map((i) => ({ path: `implementation/${i.path}`, content: i.content }));
        }
        const all = [...inputs, ...implInputs];
        if (all.length === 0 && !bytecode) {
          // The chain was not read (no RPC, or it failed) and no source came: whether the contract exists is unknown, not "no".
          const configured = Boolean(core.config.etherscanApiKey) || r !== null;
          throw new AppError(
            configured ? 'UNAVAILABLE' : 'NOT_CONFIGURED',
            `auditing ${address} needs network and an explorer key (or an RPC URL) to read its verified source or bytecode: ${errors.map((e) => e.message).join('; ') || 'neither could be read'}`,
          );
        }
        const sourceHash = hashSources([...all, { path: '#implementation', content: impl ?? '' }, { path: '#code', content: bytecode ? `${bytecode.codeSize}:${bytecode.selectors.join(',')}` : '' }]);
        const stored = loadAudit(core.store, chainId, address);
        // An incomplete audit (a file over its time budget on a busy machine) is tried again.
        if (stored && !args.force && !stored.incomplete && stored.sourceHash === sourceHash && stored.detectorVersion === DETECTOR_VERSION) {
          progress(3, 3, 'unchanged');
          return { ...stored, cached: true };
        }

        progress(2, 3, 'detectors');
        const analysis: SourceAnalysis = all.length > 0 ? await analyzeOffThread(all, { signal, limits }) : { findings: [], tokenRisk: {}, files: [], errors: [], sourceHash, incomplete: [] };
        analysis.sourceHash = sourceHash;
        if (bytecode) analysis.tokenRisk = withBytecodeRisk(analysis.tokenRisk, bytecode, all.length > 0);
        if (bytecode && r?.call && bytecode.codeSize > 0) await readOwner(r, address, analysis.tokenRisk);
        const report = buildReport(analysis, {
          target: { kind: 'address', address, chainId, name },
          bytecode,
          sourceVerified: all.length > 0,
          started,
          extraErrors: errors,
        });
        saveAudit(core.store, chainId, address, report);
        core.bus.emit('audit.completed', { address, chainId, score: report.score, findings: report.findings.length });
        progress(3, 3, 'stored');
        return report;
      },
      args.signal ? { signal: args.signal } : {},
    );
  }

  const handlers: HandlersFor<typeof auditMethods> = {
    'audit.source': async (input, ctx) =>
      core.tasks.run(
        'audit',
        async ({ signal, progress }) => {
          const started = performance.now();
          let inputs: SourceInput[];
          let label: string | null = null;
          if (input.path) {
            // Over HTTP the path would be the server's disk: web clients send file contents instead.
            if (ctx.origin === 'http') throw new AppError('FORBIDDEN', 'audit.source over HTTP takes files, not a server path');
            inputs = readSourcePath(input.path).files;
            label = path.basename(input.path);
          } else inputs = input.files ?? [];
          const analysis = await analyzeOffThread(inputs, { signal, limits, onProgress: (d, t) => progress(d, t, 'files') });
          return buildReport(analysis, { target: { kind: 'source', address: null, chainId: null, name: label }, bytecode: null, sourceVerified: true, started });
        },
        ctx.signal ? { signal: ctx.signal } : {},
      ),
    'audit.address': (input, ctx) => auditAddress(ctx.signal ? { ...input, signal: ctx.signal } : input),
    'audit.get': ({ address, chainId }) => {
      const report = loadAudit(core.store, chainId ?? core.config.chainId, address);
      if (!report) throw new AppError('NOT_FOUND', `no stored audit of ${address}`);
      return report;
    },
    'audit.list': ({ address, limit }) => listAudits(core.store, address ? { address, limit } : { limit }),
  };

  return { handlers, auditAddress };
}

/** owner() read from chain: the address behind owner_address (the zero address once renounced). */
async function readOwner(r: CodeReader, address: string, risk: TokenRisk): Promise<void> {
  if (!r.call) return;
  try {
    const word = await r.call({ to: address, data: '0x8da5cb5b' });
    const hex = word.replace(/^0x/, '');
    if (hex.length !== 64 || !/^0{24}/.test(hex)) return;
    const owner = `0x${hex.slice(24)}`;
    const prev = risk.owner_address;
    risk.owner_address = {
      value: owner,
      who: 'owner',
      evidence: prev?.evidence ?? [],
      note: `${/^0x0{40}$/.test(owner) ? 'ownership renounced; ' : ''}owner() on chain${prev && typeof prev.value === 'string' ? `, state variable ${prev.value}` : ''}`,
    };
  } catch {
    /* no owner() on this contract */
  }
}

/** Bytecode facts fill the token-risk items the source could not (or confirm them). */
function withBytecodeRisk(risk: TokenRisk, b: BytecodeFacts, hasSource: boolean): TokenRisk {
  const out: TokenRisk = { ...risk };
  const known = [...b.knownFunctions, ...(b.implementationFacts?.knownFunctions ?? [])];
  const has = (kind: string): boolean => known.some((k) => k.risk === kind);
  const note = (kind: string): string => `bytecode has ${known.filter((k) => k.risk === kind).map((k) => k.signature).join(', ')}`;
  const setIfMissing = (key: string, value: boolean, why: string): void => {
    const cur = out[key];
    if (cur && (cur.value === true || hasSource)) return;
    out[key] = { value, who: value ? 'owner' : null, evidence: [], note: why };
  };
  out.is_proxy = { value: b.isProxy, who: b.isProxy ? 'owner' : null, evidence: out.is_proxy?.evidence ?? [], note: b.isProxy ? `${b.proxyKind} proxy; implementation ${b.implementation ?? 'unknown'}${b.admin ? `, admin ${b.admin}` : ''}` : 'no proxy slot or minimal-proxy code' };
  if (has('mint')) setIfMissing('is_mintable', true, note('mint'));
  if (has('pause')) setIfMissing('transfer_pausable', true, note('pause'));
  if (has('blacklist')) setIfMissing('is_blacklisted', true, note('blacklist'));
  if (has('fee')) setIfMissing('slippage_modifiable', true, note('fee'));
  if (has('max_tx')) setIfMissing('anti_whale_modifiable', true, note('max_tx'));
  const sd = b.opcodes.selfdestruct || !!b.implementationFacts?.opcodes.selfdestruct;
  if (sd) setIfMissing('selfdestruct', true, 'SELFDESTRUCT opcode present');
  if (!hasSource) {
    for (const key of ['is_mintable', 'transfer_pausable', 'is_blacklisted', 'slippage_modifiable', 'selfdestruct']) if (!out[key]) out[key] = { value: false, who: null, evidence: [], note: 'not seen in bytecode selectors' };
  }
  return out;
}
